/**
 * The live monitoring wall's data: what one gateway instance publishes every few seconds, and how the
 * snapshots of every instance merge into one cluster view.
 *
 * Every shape is mergeable by addition: counters per time bucket, and latency histograms as
 * per-bucket counts over fixed bounds. Percentiles of the cluster are computed from the summed
 * histograms (as Prometheus' `histogram_quantile` does), never by averaging instances' percentiles,
 * which would be wrong whenever instances carry different traffic.
 */

/** One time bucket of one instance: what happened during `[t, t + intervalMs)`. */
export interface MonitorBucket {
  /** Bucket start, Unix ms, aligned to the interval so buckets of different instances line up. */
  t: number;
  /** API requests answered (`/v1/*` routes). */
  req: number;
  /** Answered 4xx other than 429. */
  e4: number;
  /** Answered 429 (rate limits, budgets, upstream throttling). */
  e429: number;
  /** Answered 5xx. */
  e5: number;
  /** Cost in USD of priced AI requests. */
  cost: number;
  /** Cache lookups answered from a layer / missing every layer. */
  hit: number;
  miss: number;
  /** Requests refused by a rate-limit policy. */
  limited: number;
  /** Per-bound (non-cumulative) counts of request durations; the last entry is above every bound. Absent when empty. */
  lat?: number[];
  /** The same for streaming time to first token. */
  ttft?: number[];
}

/** Breaker state per deployment as the ai plugin's gauge holds it: 0 closed, 1 half-open, 2 open. */
export type BreakerValue = 0 | 1 | 2;

/** What one instance publishes. */
export interface InstanceSnapshot {
  id: string;
  /** Unix ms. */
  startedAt: number;
  publishedAt: number;
  intervalMs: number;
  /** Upper bounds in seconds of `lat` / `ttft` (a histogram merges only with equal bounds). */
  latencyBounds: number[];
  ttftBounds: number[];
  /** Non-empty buckets, oldest first. */
  buckets: MonitorBucket[];
  /** Deployment id → breaker state now. */
  breakers: Record<string, BreakerValue>;
  /** Usage records published and not yet written by the consumer group (cluster-wide figure), null when unknown. */
  queueLag: number | null;
}

export const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Figures over a window, for the cluster or one instance. */
export interface MonitorFigures {
  requests: number;
  requests_per_second: number;
  errors: { client: number; rate_limited: number; server: number; total: number };
  errors_per_second: number;
  error_ratio: number | null;
  latency_ms: { p50: number | null; p95: number | null };
  ttft_ms: { p50: number | null; p95: number | null };
  spend_usd: number;
  spend_per_minute_usd: number;
  cache: { hits: number; misses: number; hit_ratio: number | null };
  rate_limited: number;
}

/** One point of the cluster's sparklines. */
export interface SeriesPoint {
  t: string;
  requests: number;
  errors: number;
  spend_usd: number;
  latency_p95_ms: number | null;
  ttft_p95_ms: number | null;
  cache_hits: number;
  rate_limited: number;
}

interface Sums {
  req: number;
  e4: number;
  e429: number;
  e5: number;
  cost: number;
  hit: number;
  miss: number;
  limited: number;
  lat: number[];
  ttft: number[];
}

const emptySums = (latLen: number, ttftLen: number): Sums => ({
  req: 0,
  e4: 0,
  e429: 0,
  e5: 0,
  cost: 0,
  hit: 0,
  miss: 0,
  limited: 0,
  lat: new Array<number>(latLen).fill(0),
  ttft: new Array<number>(ttftLen).fill(0),
});

function addBucket(into: Sums, b: MonitorBucket): void {
  into.req += b.req;
  into.e4 += b.e4;
  into.e429 += b.e429;
  into.e5 += b.e5;
  into.cost += b.cost;
  into.hit += b.hit;
  into.miss += b.miss;
  into.limited += b.limited;
  if (b.lat && b.lat.length === into.lat.length) for (let i = 0; i < b.lat.length; i++) into.lat[i] += b.lat[i];
  if (b.ttft && b.ttft.length === into.ttft.length) for (let i = 0; i < b.ttft.length; i++) into.ttft[i] += b.ttft[i];
}

/**
 * The q-quantile of a histogram in milliseconds, interpolated linearly inside the bucket it falls in
 * (the first bucket starts at 0); a quantile in the overflow bucket answers the highest bound, as
 * `histogram_quantile` does. Null without observations.
 */
export function quantileMs(counts: readonly number[], bounds: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0 && seen + c >= rank) {
      if (i >= bounds.length) return round(bounds[bounds.length - 1] * 1000);
      const lower = i === 0 ? 0 : bounds[i - 1];
      const upper = bounds[i];
      return round((lower + (upper - lower) * ((rank - seen) / c)) * 1000);
    }
    seen += c;
  }
  return round(bounds[bounds.length - 1] * 1000);
}

const round = (n: number, digits = 3) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

function figures(s: Sums, windowSeconds: number, latencyBounds: number[], ttftBounds: number[]): MonitorFigures {
  const errors = s.e4 + s.e429 + s.e5;
  const lookups = s.hit + s.miss;
  return {
    requests: s.req,
    requests_per_second: round(s.req / windowSeconds),
    errors: { client: s.e4, rate_limited: s.e429, server: s.e5, total: errors },
    errors_per_second: round(errors / windowSeconds),
    error_ratio: s.req > 0 ? round(errors / s.req, 4) : null,
    latency_ms: { p50: quantileMs(s.lat, latencyBounds, 0.5), p95: quantileMs(s.lat, latencyBounds, 0.95) },
    ttft_ms: { p50: quantileMs(s.ttft, ttftBounds, 0.5), p95: quantileMs(s.ttft, ttftBounds, 0.95) },
    spend_usd: round(s.cost, 9),
    spend_per_minute_usd: round(s.cost / (windowSeconds / 60), 9),
    cache: { hits: s.hit, misses: s.miss, hit_ratio: lookups > 0 ? round(s.hit / lookups, 4) : null },
    rate_limited: s.limited,
  };
}

export interface MergedView {
  cluster: MonitorFigures & {
    breakers: { deployment: string; state: BreakerState; open_instances: number; half_open_instances: number }[];
    queue_lag: number | null;
    series: SeriesPoint[];
  };
  instances: (MonitorFigures & {
    instance_id: string;
    started_at: string;
    last_seen: string;
    breakers: { deployment: string; state: BreakerState }[];
    queue_lag: number | null;
  })[];
}

/**
 * Merges instances' snapshots over the window `[now - windowSeconds, now)`: a bucket counts when it
 * started inside the window. Histograms of an instance whose bounds differ from the first
 * instance's (a mixed-version cluster) are left out of the cluster's percentiles, not mis-added.
 */
export function mergeSnapshots(snapshots: InstanceSnapshot[], windowSeconds: number, now: number): MergedView {
  const sorted = [...snapshots].sort((a, b) => a.id.localeCompare(b.id));
  const latencyBounds = sorted[0]?.latencyBounds ?? [];
  const ttftBounds = sorted[0]?.ttftBounds ?? [];
  const since = now - windowSeconds * 1000;
  const cluster = emptySums(latencyBounds.length + 1, ttftBounds.length + 1);
  const byTime = new Map<number, Sums>();
  const breakers = new Map<string, { worst: BreakerValue; open: number; half: number }>();
  let queueLag: number | null = null;
  const instances: MergedView['instances'] = [];
  for (const snap of sorted) {
    const sameLat = sameBounds(snap.latencyBounds, latencyBounds);
    const sameTtft = sameBounds(snap.ttftBounds, ttftBounds);
    const own = emptySums(snap.latencyBounds.length + 1, snap.ttftBounds.length + 1);
    for (const b of snap.buckets) {
      if (b.t < since || b.t > now) continue;
      addBucket(own, b);
      const comparable = { ...b, lat: sameLat ? b.lat : undefined, ttft: sameTtft ? b.ttft : undefined };
      addBucket(cluster, comparable);
      let point = byTime.get(b.t);
      if (!point) byTime.set(b.t, (point = emptySums(latencyBounds.length + 1, ttftBounds.length + 1)));
      addBucket(point, comparable);
    }
    for (const [deployment, v] of Object.entries(snap.breakers)) {
      let agg = breakers.get(deployment);
      if (!agg) breakers.set(deployment, (agg = { worst: 0, open: 0, half: 0 }));
      if (v > agg.worst) agg.worst = v;
      if (v === 2) agg.open++;
      if (v === 1) agg.half++;
    }
    // The lag is the consumer group's, the same figure seen from every instance: take the highest reading
    // (readings a few seconds apart differ only by what was written in between).
    if (snap.queueLag !== null) queueLag = queueLag === null ? snap.queueLag : Math.max(queueLag, snap.queueLag);
    instances.push({
      instance_id: snap.id,
      started_at: new Date(snap.startedAt).toISOString(),
      last_seen: new Date(snap.publishedAt).toISOString(),
      ...figures(own, windowSeconds, snap.latencyBounds, snap.ttftBounds),
      breakers: Object.entries(snap.breakers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([deployment, v]) => ({ deployment, state: BREAKER_STATES[v] ?? 'closed' })),
      queue_lag: snap.queueLag,
    });
  }
  const series: SeriesPoint[] = [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, s]) => ({
      t: new Date(t).toISOString(),
      requests: s.req,
      errors: s.e4 + s.e429 + s.e5,
      spend_usd: round(s.cost, 9),
      latency_p95_ms: quantileMs(s.lat, latencyBounds, 0.95),
      ttft_p95_ms: quantileMs(s.ttft, ttftBounds, 0.95),
      cache_hits: s.hit,
      rate_limited: s.limited,
    }));
  return {
    cluster: {
      ...figures(cluster, windowSeconds, latencyBounds, ttftBounds),
      breakers: [...breakers.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([deployment, a]) => ({
          deployment,
          state: BREAKER_STATES[a.worst],
          open_instances: a.open,
          half_open_instances: a.half,
        })),
      queue_lag: queueLag,
      series,
    },
    instances,
  };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
