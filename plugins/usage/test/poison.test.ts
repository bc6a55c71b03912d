/**
 * Poison usage records (issue 13, finding 3), on PostgreSQL: a record with characters the database
 * refuses is stored with them replaced (never lost, and counted); a record the database still refuses
 * is dead-lettered with its payload while every other tenant's records land and the lag returns to 0;
 * while the database is unreachable nothing is dead-lettered: records wait and land once it is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Database } from '@aihub/core/plugin-api';
import { createDatabase } from '@aihub/core/testing';
import { USAGE_TOPIC, type UsageRecord } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { createBackend, waitFor, type Backend } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';
import usagePlugin from '../src/index';
import { startTcpProxy } from './helpers/tcpProxy';
import { usageRecord } from './helpers/usageRecord';

const USAGE = { consumer: { blockMs: 50, batchSize: 100, claimIdleMs: 600_000, retryInitialMs: 100, retryMaxMs: 400 } };

const record = usageRecord;

async function rows(db: Database, sql: string): Promise<Record<string, unknown>[]> {
  return (await db.sequelize.query(sql, { type: 'SELECT' })) as Record<string, unknown>[];
}

for (const queue of ['redis', 'database'] as const) {
  describe(`usage poison records (PostgreSQL, ${queue} queue)`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const q = (sql: string) => rows(probe.ctx().database, sql);
    const count = async (where: string) =>
      Number((await q(`SELECT COUNT(*) AS n FROM usage_records WHERE ${where}`))[0].n);

    before(async () => {
      backend = await createBackend('postgres');
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: USAGE },
        config: { ...backend.config, queue: { flushIntervalMs: 5, driver: queue } },
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it("stores unstorable characters replaced, dead-letters what the database still refuses, and lands every other tenant's records", async () => {
      await probe
        .ctx()
        .database.sequelize.query(
          "ALTER TABLE usage_records ADD CONSTRAINT poison_test_refuses CHECK (model <> 'refused-by-the-database')",
        );
      const mixed: UsageRecord[] = [];
      for (let i = 0; i < 150; i++) {
        mixed.push(record('tu-b', `b-${i}`));
        if (i === 20) mixed.push(record('tu-a', 'a-nul', { model: 'gpt\u0000evil', keyId: 'k\ud800' }));
        // A row the database refuses although the parser passed it (the CHECK added below stands in
        // for whatever a future column rule refuses; times it cannot store are redated at parse).
        if (i === 70) mixed.push(record('tu-a', 'a-refused', { model: 'refused-by-the-database' }));
        if (i === 120) mixed.push(record('tu-a', 'a-ok'));
      }
      await probe.ctx().queue.publishNow(USAGE_TOPIC, mixed);

      await waitFor("all of tenant B's records", async () => (await count("tenant_id = 'tu-b'")) === 150, 20_000);
      await waitFor("tenant A's storable records", async () => (await count("tenant_id = 'tu-a'")) === 2);
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      const [sanitized] = await q("SELECT model, key_id FROM usage_records WHERE request_id = 'a-nul'");
      assert.deepEqual(
        sanitized,
        { model: 'gpt\uFFFDevil', key_id: 'k\uFFFD' },
        'billed, with the bad characters replaced',
      );
      const dead = await q(`SELECT * FROM aihub_dead_letters WHERE topic = '${USAGE_TOPIC}'`);
      assert.equal(dead.length, 1);
      assert.equal(dead[0].tenant_id, 'tu-a');
      assert.equal(dead[0].reason, 'constraint');
      assert.equal(
        (JSON.parse(String(dead[0].payload)) as UsageRecord).requestId,
        'a-refused',
        'the whole record is kept for a replay',
      );
      // Rollups stay equal to the rows: nothing of the refused record was half-written.
      const [sum] = await q("SELECT COALESCE(SUM(requests), 0) AS n FROM usage_daily WHERE tenant_id = 'tu-b'");
      assert.equal(Number(sum.n), 150);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_records_sanitized_total'), 1);
      assert.equal(
        metricValue(metrics, 'aihub_queue_dead_letters_total', { stream: USAGE_TOPIC, reason: 'constraint' }),
        1,
      );
      const listed = await gw.fetch(`/admin/v1/queues/${USAGE_TOPIC}/dead-letters`, {
        headers: asCaller({ superadmin: true, key: 'k-root' }),
      });
      assert.equal(listed.status, 200);
      assert.deepEqual(
        ((await listed.json()) as { data: { tenant_id: string }[] }).data.map((d) => d.tenant_id),
        ['tu-a'],
      );
    });
  });
}

describe('usage consumer while PostgreSQL is unreachable (Redis queue)', () => {
  let backend: Backend;

  before(async () => {
    backend = await createBackend('postgres');
  });

  after(async () => {
    await backend?.cleanup();
  });

  it('retries with backoff and dead-letters nothing; every record lands once the database is back', async () => {
    const direct = createDatabase({ url: backend.databaseUrl });
    const proxy = await startTcpProxy('127.0.0.1', Number(new URL(backend.databaseUrl).port || 5432));
    const proxied = new URL(backend.databaseUrl);
    proxied.port = String(proxy.port);
    const probe = probePlugin();
    const gw = await startTestGateway({
      plugins: [identityPlugin(), usagePlugin, probe.plugin],
      pluginConfig: { usage: USAGE },
      config: { ...backend.config, database: { url: proxied.toString(), poolMax: 5 } },
    });
    try {
      proxy.cut();
      const records = Array.from({ length: 60 }, (_, i) => record(i % 2 ? 'tx-a' : 'tx-b', `x-${i}`));
      await probe.ctx().queue.publishNow(USAGE_TOPIC, records);
      await waitFor(
        'retries while the database is away',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_batches_total', { outcome: 'retry' }) >=
          3,
        10_000,
      );
      const during = await gw.fetch('/metrics').then((r) => r.text());
      assert.equal(
        metricValue(during, 'aihub_queue_dead_letters_total', { stream: USAGE_TOPIC, reason: 'write_failed' }),
        0,
      );
      proxy.restore();
      await waitFor(
        'all records land',
        async () =>
          Number((await rows(direct, "SELECT COUNT(*) AS n FROM usage_records WHERE request_id LIKE 'x-%'"))[0].n) ===
          60,
        20_000,
      );
      await waitFor('lag back to 0', async () => (await probe.ctx().queue.lag(USAGE_TOPIC, 'usage')) === 0);
      assert.equal(
        Number((await rows(direct, 'SELECT COUNT(*) AS n FROM aihub_dead_letters'))[0].n),
        0,
        'an outage is never a reason to dead-letter',
      );
    } finally {
      proxy.restore();
      await gw.stop();
      await proxy.close();
      await direct.close();
    }
  });
});
