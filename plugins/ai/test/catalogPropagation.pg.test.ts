import { propagationSuite } from './catalogPropagation.suite';

// Two gateways on PostgreSQL + Redis: B hears of the revision over Redis pub/sub.
propagationSuite('postgres');
