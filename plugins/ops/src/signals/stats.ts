/**
 * Per-deployment figures over time buckets, mergeable across instances by addition (counts, and
 * histograms as per-bound counts over fixed bounds), like the live monitor's snapshots.
 */
export interface Series {
  /** Attempts (deployments) or streamed first tokens (aliases). */
  n: number;
  /** Failed attempts (5xx, 429, timeout, connection, stream error); always 0 for aliases. */
  err: number;
  /** Cumulative histogram counts per bound (`le`), the last one being +Inf. */
  h: number[];
}

export interface StatsBucket {
  /** Unix ms the bucket closes. */
  t: number;
  dep: Record<string, Series>;
  ttft: Record<string, Series>;
}

export interface StatsSnapshot {
  id: string;
  at: number;
  bounds: number[];
  ttftBounds: number[];
  buckets: StatsBucket[];
  /** Deployment → breaker state now (0 closed, 1 half-open, 2 open). */
  breakers: Record<string, number>;
  /** Usage records not yet written (a cluster-wide figure), null when the usage plugin is not loaded. */
  queueLag: number | null;
}

export interface Figures {
  requests: number;
  errorRatio: number | null;
  p95Ms: number | null;
}

export function addSeries(into: Series | undefined, s: Series): Series {
  if (!into) return { n: s.n, err: s.err, h: [...s.h] };
  into.n += s.n;
  into.err += s.err;
  if (into.h.length === s.h.length) for (let i = 0; i < s.h.length; i++) into.h[i] += s.h[i];
  return into;
}

export function subSeries(cur: Series, prev: Series | undefined): Series {
  if (!prev || prev.h.length !== cur.h.length) return cur;
  return { n: cur.n - prev.n, err: cur.err - prev.err, h: cur.h.map((v, i) => v - prev.h[i]) };
}

/** q-quantile in ms from cumulative counts over `bounds` (seconds), linear within a bucket, the top bound for the overflow. */
export function quantileMs(h: number[], bounds: number[], q: number): number | null {
  const total = h[h.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (h[i] >= rank) {
      const lo = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : h[i - 1];
      const inBucket = h[i] - below;
      const frac = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lo + (bounds[i] - lo) * frac) * 1000;
    }
  }
  return bounds.length ? bounds[bounds.length - 1] * 1000 : null;
}

/**
 * Merges the buckets of every instance that closed within `[now - windowMs, now]`, per subject; a
 * subject with a `since` (Unix ms) counts only buckets closed after it (a restored deployment is not
 * judged on the failures that had it drained).
 */
export function merge(
  snapshots: StatsSnapshot[],
  which: 'dep' | 'ttft',
  windowMs: number,
  now: number,
  since?: ReadonlyMap<string, number>,
): { figures: Map<string, Figures>; bounds: number[] } {
  const bounds = snapshots[0] ? (which === 'dep' ? snapshots[0].bounds : snapshots[0].ttftBounds) : [];
  const sums = new Map<string, Series>();
  for (const snap of snapshots) {
    for (const b of snap.buckets) {
      if (b.t <= now - windowMs || b.t > now + 1000) continue;
      for (const [k, s] of Object.entries(b[which])) {
        const from = since?.get(k);
        if (from !== undefined && b.t <= from) continue;
        sums.set(k, addSeries(sums.get(k), s));
      }
    }
  }
  const figures = new Map<string, Figures>();
  for (const [k, s] of sums)
    figures.set(k, { requests: s.n, errorRatio: s.n > 0 ? s.err / s.n : null, p95Ms: quantileMs(s.h, bounds, 0.95) });
  return { figures, bounds };
}
