/**
 * Exact nearest-rank percentiles from the daily histograms (api/percentile.ts) on SQLite and
 * PostgreSQL: latencies and fractional overheads on and around every bucket edge, over several
 * ranges, equal the value at rank ceil(p·n) of the records sorted in JavaScript; and the histogram
 * the writer keeps (bucketed in JavaScript) is row for row the one the migration's backfill builds
 * in SQL, so upgraded and new data agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSql, USAGE_TOPIC, type Sql, type UsageRecord } from '@aihub/core/plugin-api';
import {
  createBackend,
  identityPlugin,
  probePlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import usagePlugin from '../src/index';
import { percentiles } from '../src/api/percentile';
import { bucketOf, rebuildHistograms } from '../src/writer/histogram';

const tables = { records: 'usage_records', latency: 'usage_latency' };
const DAYS = ['2025-05-01', '2025-05-02', '2025-05-03'];
// Edges of the buckets (99/100, 999/1000 …), zero, and a spread; overheads with two decimals and more.
const LATENCIES = [
  0, 1, 2, 99, 100, 101, 109, 110, 999, 1000, 1001, 1099, 1100, 9999, 10000, 10100, 99999, 100000, 123456,
];
const OVERHEADS = [
  0,
  0.001,
  0.009,
  0.01,
  0.29,
  0.3,
  0.999,
  1,
  1.005,
  1.1,
  9.99,
  9.995,
  10,
  10.01,
  99.99,
  100,
  123.456,
  0.1 + 0.2,
];

function record(
  i: number,
  latencyMs: number,
  overheadMs: number | undefined,
  day: string,
  tenantId = 'tp',
): UsageRecord {
  return {
    requestId: `pct-${tenantId}-${i}`,
    timestamp: `${day}T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z`,
    tenantId,
    keyId: 'k',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: 'm',
    resolvedModel: 'm',
    provider: 'p',
    deployment: 'd',
    experiment: null,
    variant: null,
    promptTokens: 1,
    completionTokens: 1,
    cachedTokens: 0,
    totalTokens: 2,
    estimated: false,
    costMicros: 1,
    priced: true,
    latencyMs,
    ttftMs: null,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    cacheHit: false,
    stream: false,
    overheadMs,
  } as UsageRecord;
}

const nearestRank = (values: number[], p: number): number | null => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
};

it('buckets keep two leading digits: own bucket under 100, then widths 10, 100, …', () => {
  assert.deepEqual(
    [0, 7, 99, 100, 109, 110, 999, 1000, 1099, 12345, 99999, 100000].map(bucketOf),
    [0, 7, 99, 100, 100, 110, 990, 1000, 1000, 12000, 99000, 100000],
  );
});

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage percentiles from histograms (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    let sql: Sql;
    const probe = probePlugin();
    const published: { day: string; latency: number; overhead: number | undefined }[] = [];

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
      sql = createSql(probe.ctx().database);
      const records: UsageRecord[] = [];
      let i = 0;
      for (const [d, day] of DAYS.entries()) {
        for (let r = 0; r < 3 + d; r++) {
          for (const [j, latency] of LATENCIES.entries()) {
            // Every third record has no overhead (older records): percentiles of overhead skip it.
            const overhead = (i + j) % 3 === 0 ? undefined : OVERHEADS[(i + r + j) % OVERHEADS.length];
            records.push(record(i++, latency, overhead, day));
            published.push({ day, latency, overhead });
          }
        }
      }
      // Another tenant's records never count.
      for (let k = 0; k < 20; k++) records.push(record(i++, 7, 0.5, DAYS[1], 'other'));
      await probe.ctx().queue.publishNow(USAGE_TOPIC, records);
      await waitFor('records written', async () => {
        const r = await sql.rows<{ n: unknown }>('SELECT COUNT(*) AS n FROM usage_records');
        return Number(r[0].n) === records.length;
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('equal the nearest rank of the sorted records for every range and percentile', async () => {
      const ranges: [string, string][] = [
        [DAYS[0], DAYS[0]],
        [DAYS[0], DAYS[2]],
        [DAYS[1], DAYS[2]],
        ['2025-04-01', '2025-04-30'],
      ];
      const ps = [0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
      for (const [from, to] of ranges) {
        const inRange = published.filter((x) => x.day >= from && x.day <= to);
        const lat = await percentiles(sql, tables, 'tp', from, to, 'latency', ps);
        assert.equal(lat.n, inRange.length);
        assert.deepEqual(
          lat.values,
          ps.map((p) =>
            nearestRank(
              inRange.map((x) => x.latency),
              p,
            ),
          ),
          `latency ${from}..${to}`,
        );
        const measured = inRange.filter((x) => x.overhead !== undefined).map((x) => x.overhead!);
        const over = await percentiles(sql, tables, 'tp', from, to, 'overhead', ps);
        assert.equal(over.n, measured.length);
        assert.deepEqual(
          over.values,
          ps.map((p) => nearestRank(measured, p)),
          `overhead ${from}..${to}`,
        );
      }
    });

    it('the writer’s histogram equals the one the migration backfills in SQL', async () => {
      const read = () =>
        sql.rows<{ tenant_id: string; metric: string; day: string; bucket: unknown; requests: unknown }>(
          'SELECT * FROM usage_latency ORDER BY tenant_id, metric, day, bucket',
        );
      const norm = (rows: Awaited<ReturnType<typeof read>>) =>
        rows.map((r) => `${r.tenant_id} ${r.metric} ${r.day} ${Number(r.bucket)} ${Number(r.requests)}`);
      const kept = norm(await read());
      assert.ok(kept.length > 40, `histogram rows: ${kept.length}`);
      await sql.rows('DELETE FROM usage_latency RETURNING day');
      await rebuildHistograms(sql.dialect, (statement, bind) => sql.rows(statement, bind), tables);
      assert.deepEqual(norm(await read()), kept);
    });
  });
}
