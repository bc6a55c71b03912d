import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the console plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const ConsoleErrors = defineErrors('console', {
  console_starting: { status: 503, message: 'The console is starting.', fix: 'Try again in a moment.' },
  console_file_not_found: {
    status: 404,
    message: 'No console file at this path.',
    fix: 'Reload the console (a new version may have been deployed).',
  },
  invalid_path: { status: 400, message: 'The URL is not valid percent-encoding.', fix: 'Fix the URL.' },
});
