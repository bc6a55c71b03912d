import { defineErrors } from '@aihub/core/plugin-api';

/**
 * Every error the cache plugin answers with (see docs/errors.md). None of its own: it answers with
 * core's shared codes (CoreErrors) only.
 */
export const CacheErrors = defineErrors('cache', {});
