import { sdkSuite } from './sdk.suite';

sdkSuite('postgres');
