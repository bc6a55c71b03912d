import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the health plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const HealthErrors = defineErrors('health', {
  health_details_disabled: {
    status: 403,
    message: 'Health details are disabled on this gateway.',
    fix: 'Set plugins[health].config.details.token, or details access: admin.',
  },
});
