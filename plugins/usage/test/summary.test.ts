/**
 * GET /admin/v1/tenants/:tenantId/usage/summary (the console's overview): totals equal the usage
 * API's for the same range, nearest-rank latency percentiles agree on SQLite and PostgreSQL, ratios,
 * top lists, the tenant budget report, tenant scoping and range validation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USAGE_TOPIC, type UsageRecord } from '@aihub/core/plugin-api';
import {
  asCaller,
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
type Json = Record<string, any>;

function record(over: Partial<UsageRecord>): UsageRecord {
  return {
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    timestamp: '2025-03-10T10:00:00.000Z',
    tenantId: 'ts',
    keyId: 'k1',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: 'gpt-4o',
    resolvedModel: 'gpt-4o',
    provider: 'openai',
    deployment: 'd1',
    experiment: null,
    variant: null,
    promptTokens: 10,
    completionTokens: 10,
    cachedTokens: 0,
    totalTokens: 20,
    estimated: false,
    costMicros: 100,
    priced: true,
    latencyMs: 100,
    ttftMs: null,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    cacheHit: false,
    stream: false,
    ...over,
  };
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage summary (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const owner = asCaller({ tenant: 'ts', role: 'owner' });
    const get = (path: string, caller = owner) => gw.fetch(path, { headers: caller });
    let count = 0;

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
      const records: UsageRecord[] = [];
      // 20 requests on 2025-03-10 with latencies 10, 20, …, 200 ms: p50 = 100 (rank 10), p95 = 190 (rank 19).
      for (let i = 1; i <= 20; i++) {
        records.push(
          record({
            latencyMs: i * 10,
            // Fractional overhead, measured on all but the first request (an older record): 19 values 1, 1.5, …, 10.
            overheadMs: i === 1 ? undefined : i / 2,
            keyId: i <= 12 ? 'k-big' : 'k-small',
            model: i % 2 ? 'gpt-4o' : 'mini',
            teamId: i <= 5 ? 'team-a' : null,
            costMicros: i <= 12 ? 1000 : 10,
            status: i <= 4 ? 'error' : 'success',
            httpStatus: i <= 4 ? 502 : 200,
            cacheHit: i > 15,
            timestamp: `2025-03-10T${String(i).padStart(2, '0')}:00:00.000Z`,
          }),
        );
      }
      // Outside the range (the day after) and another tenant: neither may count.
      records.push(record({ timestamp: '2025-03-12T00:00:00.000Z', latencyMs: 99999 }));
      records.push(record({ tenantId: 'other', latencyMs: 99999 }));
      count = records.length;
      await probe.ctx().queue.publishNow(USAGE_TOPIC, records);
      await waitFor('records written', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query('SELECT COUNT(*) AS n FROM usage_records', { type: 'SELECT' })) as { n: unknown }[];
        return Number(r[0].n) === count;
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('matches the usage API for the same range, with percentiles, ratios and top lists', async () => {
      const res = await get('/admin/v1/tenants/ts/usage/summary?from=2025-03-09&to=2025-03-11');
      assert.equal(res.status, 200, await res.clone().text());
      const s = (await res.json()) as Json;
      const usage = (await (await get('/admin/v1/tenants/ts/usage?from=2025-03-09&to=2025-03-11')).json()) as {
        totals: Json;
      };
      assert.equal(s.requests, usage.totals.requests);
      assert.equal(s.requests, 20);
      assert.equal(s.cost_micros, usage.totals.cost_micros);
      assert.equal(s.cost_usd, usage.totals.cost_usd);
      assert.equal(s.error_requests, 4);
      assert.equal(s.error_rate, 0.2);
      assert.equal(s.cache_hit_ratio, 0.25);
      assert.deepEqual(s.latency, { p50_ms: 100, p95_ms: 190, avg_ms: 105 });
      // Nearest rank over the 19 measured: rank 10 → 5.5, rank ceil(18.05) = 19 → 10.
      assert.deepEqual(s.overhead, { p50_ms: 5.5, p95_ms: 10, measured_requests: 19 });
      assert.deepEqual(
        s.top.keys.map((k: { id: string }) => k.id),
        ['k-big', 'k-small'],
      );
      assert.equal(s.top.keys[0].cost_micros, 12000);
      // No team (7 × 1000 + 8 × 10) spent more than team-a (5 × 1000): null is listed as such.
      assert.deepEqual(
        s.top.teams.map((k: { id: string | null }) => k.id),
        [null, 'team-a'],
      );
      assert.equal(s.budget.object, 'budget');
      assert.equal(s.budget.level, 'tenant');
    });

    it('an empty range has null ratios and percentiles, not NaN', async () => {
      const s = (await (await get('/admin/v1/tenants/ts/usage/summary?from=2024-01-01&to=2024-01-02')).json()) as Json;
      assert.equal(s.requests, 0);
      assert.equal(s.error_rate, null);
      assert.equal(s.cache_hit_ratio, null);
      assert.deepEqual(s.latency, { p50_ms: null, p95_ms: null, avg_ms: null });
      assert.deepEqual(s.overhead, { p50_ms: null, p95_ms: null, measured_requests: 0 });
      assert.deepEqual(s.top.keys, []);
    });

    it('refuses a reversed range and unknown parameters as problem+json, and another tenant', async () => {
      const bad = await get('/admin/v1/tenants/ts/usage/summary?from=2025-03-11&to=2025-03-09');
      assert.equal(bad.status, 400);
      assert.match(bad.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal(((await bad.json()) as { code: string }).code, 'invalid_range');
      assert.equal((await get('/admin/v1/tenants/ts/usage/summary?form=2025-03-11')).status, 400);
      // Another tenant's summary is not found (its existence is not confirmed either).
      assert.equal((await get('/admin/v1/tenants/other/usage/summary')).status, 404);
      assert.equal(
        (await get('/admin/v1/tenants/ts/usage/summary', asCaller({ tenant: 'ts', role: 'viewer' }))).status,
        200,
      );
    });
  });
}
