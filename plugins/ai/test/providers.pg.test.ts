import { providersSuite } from './providers.suite';

providersSuite('postgres');
