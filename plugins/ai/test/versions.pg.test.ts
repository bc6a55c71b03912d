import { versionsSuite } from './versions.suite';

versionsSuite('postgres');
