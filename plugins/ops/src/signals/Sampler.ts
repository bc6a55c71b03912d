import type { KeyValueStore, Logger, PluginMeter } from '@aihub/core/plugin-api';
import { addSeries, subSeries, type Series, type StatsBucket, type StatsSnapshot } from './stats';

/** The ai and usage plugins' metrics this reads (their names are a contract: dashboards use them too). */
const UPSTREAM = 'aihub_ai_upstream_duration_seconds';
const TTFT = 'aihub_ai_time_to_first_token_seconds';
const BREAKER = 'aihub_circuit_breaker_state';
const QUEUE_LAG = 'aihub_usage_queue_lag';

/** History an instance publishes (the longest rule window). */
export const HISTORY_MS = 3_600_000;
/** Buckets older than this are folded into one per minute, so an hour of history stays ~60 small buckets. */
const FINE_MS = 120_000;
const COARSE_MS = 60_000;

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A failed attempt: an error status other than a client error (4xx but 429), or a failure without an answer. */
function failed(status: string): boolean {
  if (status === 'cancelled') return false;
  const code = Number(status);
  if (!Number.isFinite(code)) return true;
  return code >= 500 || code === 429;
}

/**
 * Each instance's per-deployment figures, published for the cluster. It reads the histograms the ai
 * plugin keeps anyway (the same observations `/metrics` shows: nothing is measured twice, nothing is
 * added to the request path) on a timer, turns the growth since the last reading into a bucket, and
 * publishes its last hour of non-empty buckets to the shared store with a TTL: on Redis one key per
 * instance plus an index sorted by publication time (an instance that dies drops out when its TTL
 * runs out), in memory this process's own.
 */
export class Sampler {
  private previous = new Map<string, Series>();
  private buckets: StatsBucket[] = [];
  private local?: StatsSnapshot;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastError = 0;
  readonly ttlMs: number;

  constructor(
    readonly id: string,
    private readonly meter: PluginMeter,
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
    readonly intervalMs: number,
  ) {
    this.ttlMs = Math.max(3 * intervalMs, 5_000);
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const redis = this.store.redisClient();
    if (redis)
      await redis
        .multi()
        .del(this.key(this.id))
        .zrem(this.index, this.id)
        .exec()
        .catch(() => {});
  }

  private get index(): string {
    return `${this.store.prefix}stats:instances`;
  }

  private key(id: string): string {
    return `${this.store.prefix}stats:instance:${id}`;
  }

  /** One reading and one publication (tests call it instead of waiting for the timer). */
  async tick(now = Date.now()): Promise<void> {
    try {
      const registry = this.meter.registry;
      const read = async (name: string): Promise<Value[]> => {
        const m = registry.getSingleMetric(name);
        return m ? ((await m.get()) as { values: Value[] }).values : [];
      };
      const [upstream, ttft, breakers, lag] = await Promise.all([
        read(UPSTREAM),
        read(TTFT),
        read(BREAKER),
        read(QUEUE_LAG),
      ]);
      const dep = totals(
        upstream,
        (l) => String(l.deployment ?? ''),
        (l) => failed(String(l.status ?? '')),
      );
      const byAlias = totals(
        ttft,
        (l) => String(l.model ?? ''),
        () => false,
      );
      const bucket: StatsBucket = { t: now, dep: {}, ttft: {} };
      let any = false;
      for (const [which, cur] of [
        ['dep', dep.series],
        ['ttft', byAlias.series],
      ] as const) {
        for (const [k, s] of cur) {
          const d = subSeries(s, this.previous.get(`${which}\u0000${k}`));
          this.previous.set(`${which}\u0000${k}`, s);
          if (d.n > 0) {
            bucket[which][k] = d;
            any = true;
          }
        }
      }
      if (any) this.buckets.push(bucket);
      while (this.buckets.length && this.buckets[0].t < now - HISTORY_MS) this.buckets.shift();
      this.buckets = compact(this.buckets, now - FINE_MS);
      const snapshot: StatsSnapshot = {
        id: this.id,
        at: now,
        bounds: dep.bounds,
        ttftBounds: byAlias.bounds,
        buckets: this.buckets,
        breakers: Object.fromEntries(breakers.map((v) => [String(v.labels.deployment), v.value])),
        queueLag: lag.length ? lag[0].value : null,
      };
      this.local = snapshot;
      const redis = this.store.redisClient();
      if (redis) {
        await redis
          .multi()
          .set(this.key(this.id), JSON.stringify(snapshot), 'PX', this.ttlMs)
          .zadd(this.index, now, this.id)
          .zremrangebyscore(this.index, '-inf', now - this.ttlMs)
          .pexpire(this.index, this.ttlMs * 10)
          .exec();
      }
    } catch (err) {
      if (Date.now() - this.lastError > 60_000) {
        this.lastError = Date.now();
        this.logger.warn('ops: could not publish this instance’s deployment figures (will retry)', { err });
      }
    }
  }

  /** Every live instance's snapshot (this one's only on the embedded default). */
  async snapshots(now = Date.now()): Promise<StatsSnapshot[]> {
    const redis = this.store.redisClient();
    if (!redis) return this.local ? [this.local] : [];
    const ids = await redis.zrangebyscore(this.index, now - this.ttlMs, '+inf');
    if (!ids.length) return [];
    const raw = await redis.mget(ids.map((id) => this.key(id)));
    const out: StatsSnapshot[] = [];
    for (const text of raw) {
      if (!text) continue;
      try {
        out.push(JSON.parse(text) as StatsSnapshot);
      } catch {
        // A foreign or truncated value: leave it out.
      }
    }
    return out;
  }
}

/**
 * Folds buckets closed before `before` into one per minute (closing at the end of their minute): a
 * window's edge is then exact to a minute for old figures, and to a sample for the last two minutes.
 */
export function compact(buckets: StatsBucket[], before: number): StatsBucket[] {
  const out: StatsBucket[] = [];
  for (const b of buckets) {
    if (b.t >= before) {
      out.push(b);
      continue;
    }
    const t = Math.ceil(b.t / COARSE_MS) * COARSE_MS;
    const last = out[out.length - 1];
    if (last && last.t === t) {
      for (const which of ['dep', 'ttft'] as const)
        for (const [k, s] of Object.entries(b[which])) last[which][k] = addSeries(last[which][k], s);
    } else {
      // Copies: the series of a bucket may be shared with the last reading's totals.
      const copy = (m: Record<string, Series>) =>
        Object.fromEntries(Object.entries(m).map(([k, x]) => [k, addSeries(undefined, x)]));
      out.push({ t, dep: copy(b.dep), ttft: copy(b.ttft) });
    }
  }
  return out;
}

/** Cumulative series per subject from a histogram's `_bucket` and `_count` values. */
function totals(
  values: Value[],
  subject: (l: Value['labels']) => string,
  isError: (l: Value['labels']) => boolean,
): { series: Map<string, Series>; bounds: number[] } {
  const boundSet = new Set<number>();
  for (const v of values)
    if (v.metricName?.endsWith('_bucket') && v.labels.le !== '+Inf') boundSet.add(Number(v.labels.le));
  const bounds = [...boundSet].sort((a, b) => a - b);
  const pos = new Map(bounds.map((b, i) => [b, i]));
  const series = new Map<string, Series>();
  const get = (k: string) => {
    let s = series.get(k);
    if (!s) series.set(k, (s = { n: 0, err: 0, h: new Array<number>(bounds.length + 1).fill(0) }));
    return s;
  };
  for (const v of values) {
    const k = subject(v.labels);
    if (!k) continue;
    if (v.metricName?.endsWith('_count')) {
      const s = get(k);
      s.n += v.value;
      if (isError(v.labels)) s.err += v.value;
    } else if (v.metricName?.endsWith('_bucket')) {
      const i = v.labels.le === '+Inf' ? bounds.length : pos.get(Number(v.labels.le));
      if (i !== undefined) get(k).h[i] += v.value;
    }
  }
  return { series, bounds };
}
