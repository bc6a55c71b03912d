import { defineErrors } from '@aihub/core/plugin-api';

/**
 * Every error the example plugin answers with (see docs/errors.md). None of its own: it answers with
 * core's shared codes (CoreErrors) only.
 */
export const ExampleErrors = defineErrors('example', {});
