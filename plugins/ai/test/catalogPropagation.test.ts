import { propagationSuite } from './catalogPropagation.suite';

// Two gateways on one SQLite file: without Redis, B finds the revision by polling.
propagationSuite('embedded');
