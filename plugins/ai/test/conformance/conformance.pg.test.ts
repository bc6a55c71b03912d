import { conformanceSuite } from './conformance.suite';

conformanceSuite('postgres');
