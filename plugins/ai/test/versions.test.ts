import { versionsSuite } from './versions.suite';

versionsSuite('embedded');
