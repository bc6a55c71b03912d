import { controlSuite } from './catalogControl.suite';

// Two gateways on one SQLite file: without Redis, the other instance finds each revision by polling.
controlSuite('embedded');
