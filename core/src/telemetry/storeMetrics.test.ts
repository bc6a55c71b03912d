import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createDatabase } from '../services/database/SequelizeDatabase';
import type { Database } from '../services/database/Database';
import { createKeyValueStore } from '../services/kv/createKeyValueStore';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import { createBackend, type Backend } from '../testing/backend';
import { registerStoreMetrics } from './storeMetrics';

/** The value of one series in the registry's exposition (undefined when absent). */
async function value(registry: Registry, series: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('store saturation metrics (collected on scrape)', () => {
  for (const kind of ['postgres', 'embedded'] as const) {
    describe(kind, () => {
      let backend: Backend;
      let db: Database;
      let store: KeyValueStore;
      before(async () => {
        backend = await createBackend(kind);
        db = createDatabase({ url: backend.databaseUrl, pool: { max: 2 } });
        await db.ping();
        store = createKeyValueStore({ url: backend.redisUrl, prefix: backend.keyPrefix });
      });
      after(async () => {
        await store.close();
        await db.close();
        await backend.cleanup();
      });

      it('pool gauges follow connections in use and callers waiting; the store ping is measured', async () => {
        const registry = new Registry();
        registerStoreMetrics(registry, {
          dbPool: () => db.poolStats!(),
          kvPing: () => store.ping(),
          kvKind: backend.redisUrl ? 'redis' : 'memory',
        });
        const max = kind === 'postgres' ? 2 : 1;
        assert.equal(await value(registry, 'aihub_db_pool_max_connections'), max);
        assert.equal(await value(registry, 'aihub_db_pool_waiting'), 0);
        assert.equal(await value(registry, 'aihub_db_pool_connections{state="in_use"}'), 0);

        // Hold every connection in a transaction, then queue one more caller.
        const releases: (() => void)[] = [];
        const holders = Array.from({ length: max + 1 }, () =>
          db.transaction(async () => {
            await new Promise<void>((resolve) => {
              releases.push(resolve);
            });
          }),
        );
        for (let i = 0; i < 200 && releases.length < max; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(releases.length, max, 'every connection is held');
        assert.equal(await value(registry, 'aihub_db_pool_connections{state="in_use"}'), max);
        assert.equal(await value(registry, 'aihub_db_pool_connections{state="idle"}'), 0);
        assert.equal(await value(registry, 'aihub_db_pool_waiting'), 1, 'the extra caller waits for a connection');
        // Release each holder as it gets its connection, until all have run.
        const all = Promise.all(holders).then(() => true);
        for (let done = false; !done;) {
          while (releases.length) releases.shift()!();
          done = await Promise.race([all, new Promise<false>((r) => setTimeout(() => r(false), 10))]);
        }
        assert.equal(await value(registry, 'aihub_db_pool_waiting'), 0);
        assert.equal(await value(registry, 'aihub_db_pool_connections{state="in_use"}'), 0);

        const ping = await value(registry, `aihub_kv_ping_seconds{store="${backend.redisUrl ? 'redis' : 'memory'}"}`);
        assert.ok(ping !== undefined && ping > 0 && ping < 2, `ping ${ping}`);
      });
    });
  }

  it('a failing store ping is NaN, not a fast store', async () => {
    const registry = new Registry();
    registerStoreMetrics(registry, { kvPing: () => Promise.reject(new Error('down')) });
    assert.ok(Number.isNaN(await value(registry, 'aihub_kv_ping_seconds{store="redis"}')));
    assert.equal(await value(registry, 'aihub_db_pool_waiting'), undefined, 'no pool gauges without a pool');
    // Registering again (a kernel restarted) replaces the gauges instead of throwing.
    registerStoreMetrics(registry, { kvPing: () => Promise.resolve(), kvKind: 'memory' });
    assert.equal(await value(registry, 'aihub_kv_ping_seconds{store="redis"}'), undefined);
    assert.ok((await value(registry, 'aihub_kv_ping_seconds{store="memory"}'))! >= 0);
  });
});
