import type { Experiment, ModelRoute, RouteEntry, Variant } from './catalog';
import { unitHash } from './hash';

const cost = (e: RouteEntry) => (e.price ? e.price.input + e.price.output : Number.POSITIVE_INFINITY);

function weightedPick(entries: RouteEntry[], total: number): number {
  if (entries.length === 1) return 0;
  if (total <= 0) return Math.floor(Math.random() * entries.length);
  let r = Math.random() * total;
  for (let i = 0; i < entries.length; i++) {
    r -= entries[i].weight;
    if (r < 0) return i;
  }
  return entries.length - 1;
}

/** One alias' available entries in its strategy's order of preference. */
const usable = (e: RouteEntry) => !e.dep.drained && e.dep.breaker.available();

function ordered(route: ModelRoute): RouteEntry[] {
  const all = route.entries;
  if (all.length === 1) return usable(all[0]) ? all : [];
  const avail = all.filter(usable);
  if (avail.length <= 1) return avail;
  switch (route.strategy) {
    case 'least-latency':
      // Unmeasured deployments (0 ms) first, so each gets measured.
      return avail.sort((a, b) => a.dep.latencyMs - b.dep.latencyMs);
    case 'cheapest':
      return avail.sort((a, b) => cost(a) - cost(b));
    default: {
      const total = avail.reduce((s, e) => s + e.weight, 0);
      const first = weightedPick(avail, total);
      const rest = avail.filter((_, i) => i !== first).sort((a, b) => b.weight - a.weight);
      return [avail[first], ...rest];
    }
  }
}

/**
 * The deployments to try for a request, first choice first: the alias' own (by strategy, skipping
 * open breakers), then its fallback aliases'. Each deployment appears once.
 */
export function plan(route: ModelRoute): RouteEntry[] {
  const own = ordered(route);
  if (route.fallbacks.length === 0) return own;
  const seen = new Set(own.map((e) => e.dep.id));
  const out = [...own];
  // Switched to its fallback by operational control: the fallbacks first, its own deployments last.
  const tail = route.fallbackFirst ? out.splice(0) : [];
  for (const fb of route.fallbacks) {
    for (const e of ordered(fb)) {
      if (seen.has(e.dep.id)) continue;
      seen.add(e.dep.id);
      out.push(e);
    }
  }
  return tail.length ? [...out, ...tail] : out;
}

/** Shortest wait until some deployment of the route (or its fallbacks) accepts a trial call. */
export function soonestRetryMs(route: ModelRoute): number {
  let min = Number.POSITIVE_INFINITY;
  for (const r of [route, ...route.fallbacks])
    for (const e of r.entries) min = Math.min(min, e.dep.breaker.retryAfterMs());
  return Number.isFinite(min) ? min : 0;
}

/**
 * The variant of an experiment for a subject: the same subject always lands in the same variant
 * (hash of experiment and subject into the weight range); no subject → a weighted random pick.
 */
export function assignVariant(exp: Experiment, subject: string | undefined): Variant {
  const variants = exp.variants;
  if (!exp.enabled || variants.length === 1) return variants[0];
  const total = exp.totalWeight;
  let r = (subject === undefined ? Math.random() : unitHash(exp.name, subject)) * total;
  for (const v of variants) {
    r -= v.weight;
    if (r < 0) return v;
  }
  return variants[variants.length - 1];
}
