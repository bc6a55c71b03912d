import { providersSuite } from './providers.suite';

providersSuite('embedded');
