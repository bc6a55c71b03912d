import { controlSuite } from './catalogControl.suite';

// Two gateways on PostgreSQL + Redis: the other instance hears of each revision over Redis pub/sub.
controlSuite('postgres');
