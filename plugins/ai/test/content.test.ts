import { contentSuite } from './content.suite';

contentSuite('embedded');
