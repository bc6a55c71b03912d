import type { BudgetSettings } from '@aihub/core/plugin-api';
import type { Period } from '../time';

export type BudgetLevel = 'tenant' | 'team' | 'key';
export const BUDGET_LEVELS: readonly BudgetLevel[] = ['tenant', 'team', 'key'];

/**
 * Where an effective budget came from (its most specific source; fields it leaves out are inherited
 * from the next): an override set through the API, tenant/key settings, config defaults, or the plan's bound.
 */
export type BudgetSource = 'override' | 'settings' | 'default' | 'plan';

/** One budget that applies to a request: tenant, its team, or its key. */
export interface BudgetTarget {
  level: BudgetLevel;
  tenantId: string;
  /** The tenant id, team id or key id. */
  targetId: string;
  budget: BudgetSettings;
  source: BudgetSource;
}

export function hardLimit(budget: BudgetSettings, period: Period): number | undefined {
  return period === 'daily' ? budget.dailyHardMicros : budget.monthlyHardMicros;
}

export function softLimit(budget: BudgetSettings, period: Period): number | undefined {
  return period === 'daily' ? budget.dailySoftMicros : budget.monthlySoftMicros;
}

export function hasAnyLimit(budget: BudgetSettings | undefined): budget is BudgetSettings {
  return (
    !!budget &&
    (budget.dailyHardMicros !== undefined ||
      budget.dailySoftMicros !== undefined ||
      budget.monthlyHardMicros !== undefined ||
      budget.monthlySoftMicros !== undefined)
  );
}

/** Keeps only the four known fields, as non-negative integers. */
export function cleanBudget(input: unknown): BudgetSettings {
  const out: BudgetSettings = {};
  if (!input || typeof input !== 'object') return out;
  const src = input as Record<string, unknown>;
  for (const k of ['dailyHardMicros', 'dailySoftMicros', 'monthlyHardMicros', 'monthlySoftMicros'] as const) {
    const v = src[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = Math.floor(v);
    else if (typeof v === 'string' && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}
