import { messagesSuite } from './messages.suite';

messagesSuite('embedded');
