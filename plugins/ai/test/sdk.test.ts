import { sdkSuite } from './sdk.suite';

sdkSuite('embedded');
