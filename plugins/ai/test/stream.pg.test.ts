import { streamSuite } from './stream.suite';

streamSuite('postgres');
