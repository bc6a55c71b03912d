import { routingSuite } from './routing.suite';

routingSuite('embedded');
