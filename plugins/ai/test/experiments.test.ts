import { experimentsSuite } from './experiments.suite';

experimentsSuite('embedded');
