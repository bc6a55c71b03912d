import { streamSuite } from './stream.suite';

streamSuite('embedded');
