import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import { keyPart } from './key';

/** Lookup outcomes counted per tenant. */
export const STAT_FIELDS = ['l1_hit', 'l1_miss', 'l2_hit', 'l2_miss'] as const;
export type StatField = (typeof STAT_FIELDS)[number];

/** Counters live this long after their last increment (a tenant that stops using the cache ages out). */
const TTL_MS = 30 * 86_400_000;
/** Tenants buffered between two flushes; beyond it a flush starts early rather than growing the map. */
const MAX_PENDING = 10_000;

/**
 * Per-tenant lookup counters (hits and misses by layer), cluster-wide: each instance counts in
 * memory on the hot path (no I/O) and adds its counts to shared counters (`s:<tenant>:<field>` in
 * the plugin's store) every `flushMs`, so a read sees every instance's lookups up to one flush ago
 * plus this instance's unflushed ones.
 */
export class TenantStats {
  private pending = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
    private readonly flushMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Twice: counts recorded while an interval flush was running are in the second batch.
    await this.flush();
    await this.flush();
  }

  /** Counts one lookup (synchronous, in memory). */
  record(tenantId: string, field: StatField): void {
    let counts = this.pending.get(tenantId);
    if (!counts) {
      counts = [0, 0, 0, 0];
      this.pending.set(tenantId, counts);
      if (this.pending.size > MAX_PENDING) void this.flush();
    }
    counts[STAT_FIELDS.indexOf(field)]++;
  }

  /** Adds the buffered counts to the shared counters; counts that fail to land are put back. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = (async () => {
      for (const [tenantId, counts] of batch) {
        for (let i = 0; i < STAT_FIELDS.length; i++) {
          if (counts[i] === 0) continue;
          try {
            await this.store.incr(this.key(tenantId, STAT_FIELDS[i]), counts[i], TTL_MS);
            counts[i] = 0;
          } catch (err) {
            this.logger.warn('cache: could not flush lookup counters; keeping them for the next flush', { err });
            this.merge(tenantId, counts);
            break;
          }
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** The tenant's counts: shared counters plus this instance's unflushed ones. */
  async read(tenantId: string): Promise<Record<StatField, number>> {
    const shared = await this.store.mget(STAT_FIELDS.map((f) => this.key(tenantId, f)));
    const local = this.pending.get(tenantId);
    const out = {} as Record<StatField, number>;
    STAT_FIELDS.forEach((f, i) => (out[f] = (Number(shared[i]) || 0) + (local?.[i] ?? 0)));
    return out;
  }

  private merge(tenantId: string, counts: number[]): void {
    const mine = this.pending.get(tenantId);
    if (!mine) this.pending.set(tenantId, counts);
    else for (let i = 0; i < counts.length; i++) mine[i] += counts[i];
  }

  private key(tenantId: string, field: StatField): string {
    return `s:${keyPart(tenantId)}:${field}`;
  }
}
