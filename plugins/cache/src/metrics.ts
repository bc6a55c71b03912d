import type { Counter } from 'prom-client';
import type { PluginMeter } from '@aihub/core/plugin-api';

export type Layer = 'l1' | 'l2';
export type Result = 'hit' | 'miss' | 'bypass';

/** How long an L2 byte-ledger bucket spans: entries are grouped by the minute they expire in. */
const BUCKET_MS = 60_000;

/**
 * The cache's metrics. `aihub_cache_bytes{layer="l2"}` is what this instance wrote to the shared
 * layer and has not expired yet (summing over instances gives the total; purged entries are
 * subtracted only when they would have expired): Redis cannot report one tenant's bytes cheaply.
 */
export class CacheMetrics {
  private readonly requests: Counter<'layer' | 'result'>;
  readonly stores: Counter<'layer'>;
  readonly evictions: Counter<'layer' | 'reason'>;
  readonly errors: Counter<'operation'>;
  private readonly children = new Map<string, { inc(): void }>();
  /** L2 ledger: expiry bucket → bytes. */
  private readonly l2Ledger = new Map<number, number>();

  constructor(meter: PluginMeter, l1Bytes: () => number) {
    this.requests = meter.counter(
      'cache_requests_total',
      'Cache lookups by layer and result (bypass: the request was not eligible)',
      ['layer', 'result'] as const,
    );
    this.stores = meter.counter('cache_stores_total', 'Responses stored, by layer', ['layer'] as const);
    this.evictions = meter.counter(
      'cache_evictions_total',
      'In-process entries dropped before being purged: evict (LRU bound) or expire (TTL)',
      ['layer', 'reason'] as const,
    );
    this.errors = meter.counter(
      'cache_store_errors_total',
      'Failed shared-layer (Redis) operations; the request goes on as a miss',
      ['operation'] as const,
    );
    const bytes = meter.gauge(
      'cache_bytes',
      'Bytes held: l1 = the in-process LRU; l2 = live bytes this instance wrote to the shared layer',
      ['layer'] as const,
      () => {
        bytes.set({ layer: 'l1' }, l1Bytes());
        bytes.set({ layer: 'l2' }, this.l2Bytes());
      },
    );
  }

  request(layer: Layer, result: Result): void {
    const id = `${layer}|${result}`;
    let child = this.children.get(id);
    if (child === undefined) {
      child = this.requests.labels({ layer, result });
      this.children.set(id, child);
    }
    child.inc();
  }

  storedL2(bytes: number, expiresAt: number): void {
    this.stores.labels({ layer: 'l2' }).inc();
    const bucket = Math.ceil(expiresAt / BUCKET_MS);
    this.l2Ledger.set(bucket, (this.l2Ledger.get(bucket) ?? 0) + bytes);
  }

  private l2Bytes(): number {
    const now = Math.floor(Date.now() / BUCKET_MS);
    let total = 0;
    for (const [bucket, bytes] of this.l2Ledger) {
      if (bucket <= now) this.l2Ledger.delete(bucket);
      else total += bytes;
    }
    return total;
  }
}
