import { experimentsSuite } from './experiments.suite';

experimentsSuite('postgres');
