import { contentSuite } from './content.suite';

contentSuite('postgres');
