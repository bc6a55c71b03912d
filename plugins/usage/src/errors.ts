import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the usage plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const UsageErrors = defineErrors('usage', {
  budget_exceeded: {
    status: 429,
    message: 'A budget of the tenant, team, key or user is spent; requests are refused until it resets.',
    fix: 'Ask an admin to raise the budget, or wait for the reset time the message names.',
  },
  budget_unavailable: {
    status: 503,
    message: 'Budgets cannot be checked right now and the budget fails closed.',
    fix: 'Retry shortly.',
  },
  metering_unavailable: {
    status: 503,
    message: 'Usage metering is unavailable right now, so the request cannot be recorded and is refused.',
    fix: 'Retry shortly.',
  },
});
