/** The core version plugins declare compatibility with (`core: '^0.1.0'`). Kept in step with package.json. */
export const CORE_VERSION = '0.1.0';
