import { routingSuite } from './routing.suite';

routingSuite('postgres');
