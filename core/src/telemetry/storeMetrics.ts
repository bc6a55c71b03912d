import client, { type Registry } from 'prom-client';
import type { PoolStats } from '../services/database/Database';

/** What the store metrics read; each is called on scrape only, never per request. */
export interface StoreProbes {
  /** The database pool's counts (no I/O). */
  dbPool?: () => PoolStats;
  /** One round trip to the key-value store (Redis PING, or the in-process store). */
  kvPing?: () => Promise<void>;
  /** `redis` or `memory`: the label of the ping gauge. */
  kvKind?: string;
}

/** A ping slower than this is reported as this (a hung store must not hang the scrape). */
const PING_TIMEOUT_S = 2;

/**
 * Saturation gauges of the gateway's stores, collected when Prometheus scrapes: the database pool
 * (connections in use, idle, callers waiting, the limit) and the key-value store's round-trip time.
 * A failed ping is reported as NaN, so a panel shows a gap rather than a fast store.
 */
export function registerStoreMetrics(registry: Registry, probes: StoreProbes): void {
  const { dbPool, kvPing, kvKind = 'redis' } = probes;
  // A kernel started again (after stop) brings new stores: replace the gauges, never register twice.
  for (const name of [
    'aihub_db_pool_connections',
    'aihub_db_pool_waiting',
    'aihub_db_pool_max_connections',
    'aihub_kv_ping_seconds',
  ])
    registry.removeSingleMetric(name);
  if (dbPool) {
    new client.Gauge({
      name: 'aihub_db_pool_connections',
      help: 'Database pool connections by state (in_use | idle), read on scrape',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = dbPool();
        this.set({ state: 'in_use' }, s.inUse);
        this.set({ state: 'idle' }, s.idle);
      },
    });
    new client.Gauge({
      name: 'aihub_db_pool_waiting',
      help: 'Callers waiting for a database connection (the pool is exhausted when above 0), read on scrape',
      registers: [registry],
      collect() {
        this.set(dbPool().waiting);
      },
    });
    new client.Gauge({
      name: 'aihub_db_pool_max_connections',
      help: 'Largest number of database connections the pool opens (database.poolMax)',
      registers: [registry],
      collect() {
        this.set(dbPool().max);
      },
    });
  }
  if (kvPing) {
    new client.Gauge({
      name: 'aihub_kv_ping_seconds',
      help: 'Round-trip time of one ping to the key-value store (Redis or in-process) measured on scrape, by store',
      labelNames: ['store'],
      registers: [registry],
      async collect() {
        const start = process.hrtime.bigint();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), PING_TIMEOUT_S * 1000);
        });
        try {
          const r = await Promise.race([kvPing().then(() => 'ok' as const), timeout]);
          this.set({ store: kvKind }, r === 'timeout' ? PING_TIMEOUT_S : Number(process.hrtime.bigint() - start) / 1e9);
        } catch {
          this.set({ store: kvKind }, NaN);
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }
}
