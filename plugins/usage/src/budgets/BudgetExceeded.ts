import { GatewayError } from '@aihub/core/plugin-api';
import { microsToDisplay, microsToUsd } from '../money';
import type { Period } from '../time';
import type { BudgetLevel } from './types';
import { UsageErrors } from '../errors';

const LEVEL_NAMES: Record<BudgetLevel, string> = { tenant: 'tenant', team: 'team', key: 'API key' };

/**
 * The error a request gets once a hard budget is spent: HTTP 429 with OpenAI's `insufficient_quota`
 * type (what OpenAI answers when a quota is used up; its SDKs raise RateLimitError and show the
 * message), `code: budget_exceeded`, and `x-should-retry: false` so the official SDKs do not retry a
 * request that cannot succeed before the reset. `Retry-After` says when the period resets.
 */
export function budgetExceeded(
  level: BudgetLevel,
  targetId: string,
  period: Period,
  limitMicros: number,
  spentMicros: number,
  resetsAtMs: number,
  nowMs: number,
): GatewayError {
  const resetsAt = new Date(resetsAtMs).toISOString();
  const retryAfter = Math.max(1, Math.ceil((resetsAtMs - nowMs) / 1000));
  return UsageErrors.create(
    'budget_exceeded',
    `The ${LEVEL_NAMES[level]} ${period} budget of ${microsToDisplay(limitMicros)} is spent (${microsToDisplay(spentMicros)} used); requests are refused until it resets at ${resetsAt}. Ask an admin to raise the budget, or wait for the reset.`,
    {
      type: 'insufficient_quota',
      headers: {
        'retry-after': String(retryAfter),
        'x-should-retry': 'false',
        'x-aihub-budget-level': level,
        'x-aihub-budget-period': period,
        'x-aihub-budget-reset': resetsAt,
      },
      details: {
        budget: {
          level,
          id: targetId,
          period,
          limit_micros: limitMicros,
          limit_usd: microsToUsd(limitMicros),
          spent_micros: spentMicros,
          resets_at: resetsAt,
        },
      },
    },
  );
}
