import { messagesSuite } from './messages.suite';

messagesSuite('postgres');
