/** The security sweep (see security-sweep.test.ts) on PostgreSQL + Redis. */
import { sweepSuite } from './support/security-sweep-suite';

sweepSuite('postgres');
