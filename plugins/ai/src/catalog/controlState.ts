import { z } from 'zod';
import type { Catalog, Deployment } from '../routing/catalog';

/**
 * The operational control section of the catalog overlay: drains, weight overrides, forced breakers
 * and fallback switches (set through `AiControl` by automation, the probe or an operator). It is part
 * of every revision like the admin API's entries, so there is one history of routing state: each
 * change is a revision, the revisions diff shows it, and a rollback with `control: "restore"` restores it
 * (by default a rollback keeps the control state of now).
 * Entries naming a deployment or alias the catalog no longer has are kept and ignored (they apply
 * again if it comes back), so removing a model never fails on a drain of it.
 */
export interface ControlState {
  /** By deployment id. */
  drained: Record<string, { reason: string; at: string }>;
  /** By deployment id: the breaker held open or closed whatever its error rate. */
  breakers: Record<string, 'open' | 'closed'>;
  /** Aliases whose traffic goes to their fallbacks first. */
  fallbackFirst: Record<string, true>;
  /** By alias, then deployment id: weights overriding the configured ones. */
  weights: Record<string, Record<string, number>>;
}

export const emptyControl = (): ControlState => ({ drained: {}, breakers: {}, fallbackFirst: {}, weights: {} });

/** The stored shape, validated with every revision (the same schema pass as the entries). */
export const controlSchema = z
  .object({
    drained: z.record(z.string(), z.object({ reason: z.string().max(500), at: z.string() }).strict()).default({}),
    breakers: z.record(z.string(), z.enum(['open', 'closed'])).default({}),
    fallbackFirst: z.record(z.string(), z.literal(true)).default({}),
    weights: z.record(z.string(), z.record(z.string(), z.number().finite().min(0))).default({}),
  })
  .strict();

/** One control item as a flat name (`drain/<deployment>`, `weight/<alias>/<deployment>` …) and value, for diffs. */
export function flattenControl(c: ControlState): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [dep, v] of Object.entries(c.drained)) out.set(`drain/${dep}`, v);
  for (const [dep, v] of Object.entries(c.breakers)) out.set(`breaker/${dep}`, v);
  for (const alias of Object.keys(c.fallbackFirst)) out.set(`fallback/${alias}`, true);
  for (const [alias, w] of Object.entries(c.weights))
    for (const [dep, v] of Object.entries(w)) out.set(`weight/${alias}/${dep}`, v);
  return out;
}

/**
 * Gives a freshly built catalog the control state (at build, before it serves a request): the
 * request path then reads plain fields (`dep.drained`, `breaker.forced`, `route.fallbackFirst`,
 * entry weights) as before. Deployments are shared with the previous catalog when unchanged, so
 * every field is set, not only those the state names. `onForced` runs for a breaker whose forced
 * state changes (metric and log).
 */
export function applyControl(
  catalog: Catalog,
  control: ControlState,
  onForced: (dep: Deployment, forced: 'open' | 'closed' | null) => void,
): void {
  for (const dep of catalog.deployments.values()) {
    // Only when it differs: a deployment never drained keeps the shape it was built with.
    const drained = control.drained[dep.id];
    if (dep.drained !== drained) dep.drained = drained;
    const forced = control.breakers[dep.id] ?? null;
    if (dep.breaker.forced !== forced) {
      dep.breaker.forced = forced;
      onForced(dep, forced);
    }
  }
  for (const route of catalog.routes.values()) {
    route.fallbackFirst = route.fallbacks.length > 0 && control.fallbackFirst[route.alias] === true;
    const weights = control.weights[route.alias];
    if (!weights) continue;
    for (const e of route.entries) {
      const w = weights[e.dep.id];
      if (w !== undefined) e.weight = w;
    }
    route.totalWeight = route.entries.reduce((s, x) => s + x.weight, 0);
  }
}
