import { parseUsd, microsToInput } from '../usage/money';

/** The four budget fields, as the usage API names them (integer micro-dollars). */
export const BUDGET_FIELDS = [
  'daily_hard_micros',
  'daily_soft_micros',
  'monthly_hard_micros',
  'monthly_soft_micros',
] as const;
export type BudgetField = (typeof BUDGET_FIELDS)[number];
export type BudgetValues = Record<BudgetField, number | null>;

/** Form text (dollars) from a budget (micro-dollars); null fields stay empty (inherit). */
export function budgetToText(b: Partial<BudgetValues> | null | undefined): Record<BudgetField, string> {
  const out = {} as Record<BudgetField, string>;
  for (const f of BUDGET_FIELDS) out[f] = microsToInput(b?.[f] ?? null);
  return out;
}

/**
 * The PUT body from dollar text: empty → null (inherit), else exact micro-dollars. Refuses amounts
 * that are not amounts, and a soft limit above its hard limit (the server would too), naming the
 * fields so the form marks them.
 */
export function textToBudget(
  text: Record<BudgetField, string>,
): { body: BudgetValues } | { invalid: { field: BudgetField; reason: 'amount' | 'softAboveHard' }[] } {
  const body = {} as BudgetValues;
  const invalid: { field: BudgetField; reason: 'amount' | 'softAboveHard' }[] = [];
  for (const f of BUDGET_FIELDS) {
    const v = parseUsd(text[f]);
    if (Number.isNaN(v)) invalid.push({ field: f, reason: 'amount' });
    else body[f] = v;
  }
  if (!invalid.length) {
    for (const p of ['daily', 'monthly'] as const) {
      const soft = body[`${p}_soft_micros`];
      const hard = body[`${p}_hard_micros`];
      if (soft !== null && hard !== null && soft > hard)
        invalid.push({ field: `${p}_soft_micros`, reason: 'softAboveHard' });
    }
  }
  return invalid.length ? { invalid } : { body };
}

/** Spent as a share of the limit (0..1), or null when there is no limit. */
export function spentShare(spent: number, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit <= 0) return spent > 0 ? 1 : 0;
  return Math.min(1, spent / limit);
}
