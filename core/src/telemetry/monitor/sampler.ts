import type { Registry } from 'prom-client';
import { DURATION_BUCKETS, type GatewayMetrics } from '../createMetrics';
import type { BreakerValue, MonitorBucket } from './snapshot';

/**
 * Reads what the wall needs from the metrics the gateway already keeps — the same observation points
 * as `/metrics`, so serving a request does no extra work for the wall. Everything here runs on the
 * monitor's timer, every few seconds, never on the request path. The names are the plugins' metric
 * contract (docs/design.md, "Live monitoring"): a plugin that is not loaded contributes zeros.
 */
export const MONITOR_METRICS = {
  cost: 'aihub_ai_cost_usd_total',
  ttft: 'aihub_ai_time_to_first_token_seconds',
  breaker: 'aihub_circuit_breaker_state',
  cache: 'aihub_cache_requests_total',
  rateLimit: 'aihub_ratelimit_decisions_total',
  usageLag: 'aihub_usage_queue_lag',
} as const;

/** Cumulative totals since the process started (deltas between two readings make a bucket). */
export interface Totals {
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

export interface Reading {
  totals: Totals;
  ttftBounds: number[];
  breakers: Record<string, BreakerValue>;
  queueLag: number | null;
}

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

async function values(registry: Registry, name: string): Promise<Value[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return ((await metric.get()) as { values: Value[] }).values;
}

/** Only API traffic counts: admin, health, metrics and console requests (this wall's own polls) do not. */
const isApiRoute = (route: string | number) => typeof route === 'string' && route.startsWith('/v1/');

export async function readTotals(metrics: GatewayMetrics): Promise<Reading> {
  const registry = metrics.registry;
  const totals: Totals = {
    req: 0,
    e4: 0,
    e429: 0,
    e5: 0,
    cost: 0,
    hit: 0,
    miss: 0,
    limited: 0,
    lat: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
    ttft: [],
  };
  for (const s of metrics.requests.durationSeries()) {
    if (!isApiRoute(s.labels.route)) continue;
    const status = Number(s.labels.status);
    totals.req += s.count;
    if (status === 429) totals.e429 += s.count;
    else if (status >= 500) totals.e5 += s.count;
    else if (status >= 400) totals.e4 += s.count;
    for (let i = 0; i < s.counts.length; i++) totals.lat[i] += s.counts[i];
  }
  for (const v of await values(registry, MONITOR_METRICS.cost)) totals.cost += v.value;
  // A lookup that missed L1 goes on to L2 (hit or miss) when there is one, so the lookups that missed
  // every layer are L1 misses minus L2 hits.
  let l1Miss = 0;
  let l2Hit = 0;
  for (const v of await values(registry, MONITOR_METRICS.cache)) {
    if (v.labels.result === 'hit') totals.hit += v.value;
    if (v.labels.result === 'hit' && v.labels.layer === 'l2') l2Hit += v.value;
    if (v.labels.result === 'miss' && v.labels.layer === 'l1') l1Miss += v.value;
  }
  totals.miss = Math.max(0, l1Miss - l2Hit);
  for (const v of await values(registry, MONITOR_METRICS.rateLimit))
    if (v.labels.outcome === 'limited') totals.limited += v.value;

  // Histogram values come cumulative per `le`, one run per label set: sum per bound, then de-cumulate.
  const cumulative = new Map<string, number>();
  for (const v of await values(registry, MONITOR_METRICS.ttft)) {
    if (!v.metricName?.endsWith('_bucket')) continue;
    const le = String(v.labels.le);
    cumulative.set(le, (cumulative.get(le) ?? 0) + v.value);
  }
  const ttftBounds = [...cumulative.keys()].filter((k) => k !== '+Inf').map(Number);
  let previous = 0;
  for (const b of [...ttftBounds.map(String), '+Inf']) {
    const c = cumulative.get(b) ?? 0;
    totals.ttft.push(c - previous);
    previous = c;
  }
  if (cumulative.size === 0) totals.ttft = [];

  const breakers: Record<string, BreakerValue> = {};
  for (const v of await values(registry, MONITOR_METRICS.breaker)) {
    const dep = v.labels.deployment;
    if (typeof dep === 'string') breakers[dep] = (v.value >= 2 ? 2 : v.value >= 1 ? 1 : 0) as BreakerValue;
  }
  const lag = await values(registry, MONITOR_METRICS.usageLag);
  return { totals, ttftBounds, breakers, queueLag: lag.length ? lag[0].value : null };
}

/** The bucket between two readings; a counter that went down (a registry reset) counts from zero. */
export function bucketBetween(t: number, prev: Totals | undefined, cur: Totals): MonitorBucket {
  const d = (a: number, b: number | undefined) => {
    const x = a - (b ?? 0);
    return x >= 0 ? x : a;
  };
  const hist = (a: number[], b: number[] | undefined) => {
    if (a.length === 0) return undefined;
    const out = a.map((v, i) => d(v, b && b.length === a.length ? b[i] : 0));
    return out.some((v) => v > 0) ? out : undefined;
  };
  const bucket: MonitorBucket = {
    t,
    req: d(cur.req, prev?.req),
    e4: d(cur.e4, prev?.e4),
    e429: d(cur.e429, prev?.e429),
    e5: d(cur.e5, prev?.e5),
    cost: d(cur.cost, prev?.cost),
    hit: d(cur.hit, prev?.hit),
    miss: d(cur.miss, prev?.miss),
    limited: d(cur.limited, prev?.limited),
  };
  const lat = hist(cur.lat, prev?.lat);
  if (lat) bucket.lat = lat;
  const ttft = hist(cur.ttft, prev?.ttft);
  if (ttft) bucket.ttft = ttft;
  return bucket;
}

/** True when nothing happened in the bucket (such buckets are not published). */
export function isEmptyBucket(b: MonitorBucket): boolean {
  return (
    b.req === 0 &&
    b.e4 === 0 &&
    b.e429 === 0 &&
    b.e5 === 0 &&
    b.cost === 0 &&
    b.hit === 0 &&
    b.miss === 0 &&
    b.limited === 0 &&
    !b.lat &&
    !b.ttft
  );
}
