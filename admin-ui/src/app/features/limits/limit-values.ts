/** The three limit dimensions, as the rate-limit API names them. */
export const LIMIT_FIELDS = ['requestsPerMinute', 'tokensPerMinute', 'concurrentRequests'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];
export type LimitValues = Partial<Record<LimitField, number>>;

/**
 * The PUT body from the form's text fields: empty → null (inherit), a positive whole number → that
 * number. Returns the fields that are not valid numbers instead, so the form can mark them.
 */
export function toLimitBody(
  form: Record<LimitField, string>,
): { body: Record<LimitField, number | null> } | { invalid: LimitField[] } {
  const body = {} as Record<LimitField, number | null>;
  const invalid: LimitField[] = [];
  for (const f of LIMIT_FIELDS) {
    const s = form[f].trim().replace(/[,\s]/g, '');
    if (s === '') body[f] = null;
    else if (/^\d+$/.test(s) && Number(s) > 0 && Number.isSafeInteger(Number(s))) body[f] = Number(s);
    else invalid.push(f);
  }
  return invalid.length ? { invalid } : { body };
}

/** A value against its limit as "used / limit" with a share, or "used" when nothing limits it. */
export function usageShare(used: number, limit: number | undefined): number | null {
  return limit === undefined || limit <= 0 ? null : Math.min(1, used / limit);
}

/**
 * The limit a row is held to in one dimension, and where it comes from: its own value; for the
 * tenant row with none, the plan's bound (or no bound at all) — the tenant inherits from the plan,
 * so "inherited" would hide the figure that actually applies; for a team, key or user with none,
 * the next level's (shown on the tenant row).
 */
export function effectiveLimit(
  scope: string,
  own: LimitValues,
  planBounds: LimitValues,
  f: LimitField,
): { value: number; source: 'own' | 'plan' } | { source: 'unbounded' | 'inherit' } {
  if (own[f] !== undefined) return { value: own[f], source: 'own' };
  if (scope !== 'tenant') return { source: 'inherit' };
  return planBounds[f] !== undefined ? { value: planBounds[f], source: 'plan' } : { source: 'unbounded' };
}
