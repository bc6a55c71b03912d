import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../services/createLogger';
import type { KeyValueStore } from '../../services/kv/KeyValueStore';
import { DURATION_BUCKETS, type GatewayMetrics } from '../createMetrics';
import { MemoryBoard, RedisBoard, type MonitorBoard } from './board';
import { bucketBetween, isEmptyBucket, readTotals, type Totals } from './sampler';
import { mergeSnapshots, type InstanceSnapshot, type MergedView, type MonitorBucket } from './snapshot';

export interface LiveMonitorOptions {
  metrics: GatewayMetrics;
  store: KeyValueStore;
  logger: Logger;
  /** How often a snapshot is taken and published (also the width of a bucket). */
  intervalMs: number;
  /** How much history an instance keeps and publishes. */
  windowSeconds: number;
  /** This instance's id on the wall; default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  now?: () => number;
}

/** The wall's answer: the merged view plus how it was made. */
export interface MonitorView extends MergedView {
  object: 'monitor';
  generated_at: string;
  window_seconds: number;
  interval_ms: number;
  source: 'redis' | 'memory';
}

/**
 * Each instance's rolling window of live signals, published every `intervalMs` for the whole cluster
 * (see {@link MonitorBoard}), and the merged view the `/admin/v1/monitor` route answers.
 *
 * Its timer is unref'd and nothing here is awaited by a request: a request only updates the metrics
 * it always updated; the sampler reads them later. A failed publication (Redis away) is logged at
 * most once a minute and retried on the next tick.
 */
export class LiveMonitor {
  readonly id: string;
  readonly board: MonitorBoard;
  readonly intervalMs: number;
  readonly windowSeconds: number;
  /** A snapshot lives this long unless renewed: three missed publications drop an instance. */
  readonly ttlMs: number;
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly buckets: MonitorBucket[] = [];
  private previous?: Totals;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private lastErrorLog = 0;
  private readonly views = new Map<number, { at: number; view: Promise<MonitorView> }>();

  constructor(private readonly options: LiveMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.id = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.board = options.store.kind === 'redis' ? new RedisBoard(options.store) : new MemoryBoard();
    this.intervalMs = options.intervalMs;
    this.windowSeconds = options.windowSeconds;
    this.ttlMs = Math.max(3 * options.intervalMs, 5_000);
    this.startedAt = this.now();
  }

  /** Takes the first reading (the baseline) and publishes, then every interval. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      // Never two ticks at once: a slow Redis must not pile up publications.
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** One sample and one publication (exposed for tests that do not want to wait for the timer). */
  async tick(): Promise<void> {
    try {
      const now = this.now();
      const reading = await readTotals(this.options.metrics);
      // The bucket is labelled with the interval the reading closes, aligned so instances line up.
      const t = Math.floor(now / this.intervalMs) * this.intervalMs - this.intervalMs;
      if (this.previous) {
        const bucket = bucketBetween(t, this.previous, reading.totals);
        if (!isEmptyBucket(bucket)) {
          const last = this.buckets[this.buckets.length - 1];
          if (last && last.t === t) this.buckets[this.buckets.length - 1] = addBuckets(last, bucket);
          else this.buckets.push(bucket);
        }
      }
      this.previous = reading.totals;
      const oldest = now - this.windowSeconds * 1000 - this.intervalMs;
      while (this.buckets.length && this.buckets[0].t < oldest) this.buckets.shift();
      const snapshot: InstanceSnapshot = {
        id: this.id,
        startedAt: this.startedAt,
        publishedAt: now,
        intervalMs: this.intervalMs,
        latencyBounds: DURATION_BUCKETS,
        ttftBounds: reading.ttftBounds,
        buckets: this.buckets,
        breakers: reading.breakers,
        queueLag: reading.queueLag,
      };
      await this.board.publish(snapshot, this.ttlMs);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastErrorLog > 60_000) {
        this.lastErrorLog = now;
        this.options.logger.warn('live monitor: could not publish this instance’s snapshot (will retry)', { err });
      }
    }
  }

  /**
   * The cluster view over the last `windowSeconds` (at most the configured window). Answers made
   * less than half an interval ago are shared (nothing newer can have been published since), so
   * several open walls cost about what one does.
   */
  view(windowSeconds: number): Promise<MonitorView> {
    const now = this.now();
    const cached = this.views.get(windowSeconds);
    if (cached && now - cached.at < this.intervalMs / 2) return cached.view;
    const view = this.buildView(windowSeconds, now);
    this.views.set(windowSeconds, { at: now, view });
    view.catch(() => this.views.delete(windowSeconds));
    return view;
  }

  private async buildView(windowSeconds: number, now: number): Promise<MonitorView> {
    const snapshots = await this.board.read(now, this.ttlMs, now - windowSeconds * 1000);
    return {
      object: 'monitor',
      generated_at: new Date(now).toISOString(),
      window_seconds: windowSeconds,
      interval_ms: this.intervalMs,
      source: this.board.kind,
      ...mergeSnapshots(snapshots, windowSeconds, now),
    };
  }

  /**
   * Stops publishing. `withdraw` (a clean shutdown) removes the snapshot at once; without it the
   * instance drops out when its TTL runs out, as a crashed one does.
   */
  async stop(withdraw = true): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (withdraw) await this.board.withdraw(this.id).catch(() => {});
  }
}

function addBuckets(a: MonitorBucket, b: MonitorBucket): MonitorBucket {
  const hist = (x?: number[], y?: number[]) => (x && y && x.length === y.length ? x.map((v, i) => v + y[i]) : (x ?? y));
  const out: MonitorBucket = {
    t: a.t,
    req: a.req + b.req,
    e4: a.e4 + b.e4,
    e429: a.e429 + b.e429,
    e5: a.e5 + b.e5,
    cost: a.cost + b.cost,
    hit: a.hit + b.hit,
    miss: a.miss + b.miss,
    limited: a.limited + b.limited,
  };
  const lat = hist(a.lat, b.lat);
  if (lat) out.lat = lat;
  const ttft = hist(a.ttft, b.ttft);
  if (ttft) out.ttft = ttft;
  return out;
}
