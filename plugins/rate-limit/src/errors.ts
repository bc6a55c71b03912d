import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the rate-limit plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const RateLimitErrors = defineErrors('rate-limit', {
  limit_policy_not_found: {
    status: 404,
    message: "No limit policy is set for this subject; it inherits the tenant's limits.",
    fix: "Set a policy with PUT, or read the tenant's.",
  },
  rate_limit_unavailable: {
    status: 503,
    message: 'Rate limits cannot be checked right now (the limit store is unreachable) and this policy fails closed.',
    fix: 'Retry shortly.',
  },
});
