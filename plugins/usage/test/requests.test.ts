/**
 * The request explorer's routes: GET /admin/v1/tenants/:tenantId/requests (filters, newest first,
 * keyset paging with has_more, validation as problem+json naming the parameter) and
 * GET …/requests/:requestId (attempts, cost, overhead, trace id; another tenant's id is a 404), on
 * SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { USAGE_TOPIC, type AttemptRecord, type UsageRecord } from '@aihub/core/plugin-api';
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

function record(i: number, over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `req-${String(i).padStart(3, '0')}`,
    timestamp: new Date(Date.UTC(2025, 2, 10, 0, i)).toISOString(),
    tenantId: 'tr',
    keyId: i % 3 === 0 ? 'k-three' : 'k-other',
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: i % 2 ? 'gpt-4o' : 'mini',
    resolvedModel: 'gpt-4o',
    provider: i % 2 ? 'openai' : 'anthropic',
    deployment: 'd1',
    experiment: null,
    variant: null,
    promptTokens: 10,
    completionTokens: i,
    cachedTokens: 0,
    totalTokens: 10 + i,
    estimated: false,
    costMicros: i * 100,
    priced: true,
    latencyMs: i * 10,
    ttftMs: null,
    status: i % 5 === 0 ? 'error' : 'success',
    httpStatus: i % 5 === 0 ? 502 : 200,
    errorCode: i % 5 === 0 ? 'upstream_error' : null,
    cacheHit: i % 7 === 0,
    stream: false,
    overheadMs: 1.25,
    traceId: null,
    attempts: [],
    attemptCount: 1,
    ...over,
  };
}

const attempts: AttemptRecord[] = [
  {
    deployment: 'primary',
    provider: 'openai',
    model: 'gpt-4o',
    outcome: 'breaker_open',
    status: null,
    code: 'breaker_open',
    next: 'fallback',
    latencyMs: 0,
  },
  {
    deployment: 'second',
    provider: 'openai',
    model: 'gpt-4o',
    outcome: 'error',
    status: 503,
    code: 'status',
    next: 'retry',
    latencyMs: 12.5,
  },
  {
    deployment: 'second',
    provider: 'openai',
    model: 'gpt-4o',
    outcome: 'timeout',
    status: null,
    code: 'timeout',
    next: 'fallback',
    latencyMs: 30,
  },
  {
    deployment: 'backup',
    provider: 'anthropic',
    model: 'claude',
    outcome: 'success',
    status: null,
    code: null,
    next: null,
    latencyMs: 40.25,
  },
];

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`request explorer routes (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const probe = probePlugin();
    const owner = asCaller({ tenant: 'tr', role: 'owner' });
    const get = (path: string, caller = owner) => gw.fetch(path, { headers: caller });
    const list = async (query: string): Promise<Json> => {
      const res = await get(`/admin/v1/tenants/tr/requests${query}`);
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Json;
    };

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), usagePlugin, probe.plugin],
        pluginConfig: { usage: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
      const records: UsageRecord[] = [];
      for (let i = 1; i <= 30; i++) records.push(record(i));
      // Two requests in the same millisecond: the id breaks the tie, so paging never skips one.
      records.push(record(31, { requestId: 'req-tie-a', timestamp: records[29].timestamp }));
      records.push(
        record(32, {
          requestId: 'req-fallback',
          timestamp: '2025-03-10T12:00:00.000Z',
          attempts,
          attemptCount: 4,
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          overheadMs: 2.125,
          costMicros: 4321,
          cacheWriteTokens: 6,
          reasoningTokens: 20,
        }),
      );
      records.push(record(33, { requestId: 'req-other-tenant', tenantId: 'other' }));
      await probe.ctx().queue.publishNow(USAGE_TOPIC, records);
      await waitFor('records written', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query('SELECT COUNT(*) AS n FROM usage_records', { type: 'SELECT' })) as { n: unknown }[];
        return Number(r[0].n) === records.length;
      });
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('pages newest first with a cursor until has_more is false, every request once, never another tenant', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Json = await list(`?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        pages++;
        assert.ok(page.data.length <= 7);
        assert.equal(page.has_more, page.next_cursor !== null);
        seen.push(...page.data.map((r: Json) => r.request_id));
        cursor = page.next_cursor;
      } while (cursor);
      assert.equal(pages, 5);
      assert.equal(seen.length, 32);
      assert.equal(new Set(seen).size, 32);
      assert.ok(!seen.includes('req-other-tenant'));
      assert.equal(seen[0], 'req-fallback');
      // Newest first; the tie in one millisecond by id, descending.
      assert.deepEqual(seen.slice(1, 3), ['req-tie-a', 'req-030']);
      assert.equal(seen.at(-1), 'req-001');
    });

    it('filters by status, model, key, provider, latency, cost, cache hit and a UTC time range', async () => {
      const ids = async (q: string) => ((await list(q)).data as Json[]).map((r) => r.request_id).sort();
      assert.deepEqual(await ids('?status=error&limit=200'), [
        'req-005',
        'req-010',
        'req-015',
        'req-020',
        'req-025',
        'req-030',
      ]);
      assert.deepEqual(await ids('?key_id=k-three&model=mini&limit=200'), [
        'req-006',
        'req-012',
        'req-018',
        'req-024',
        'req-030',
      ]);
      assert.deepEqual(await ids('?provider=anthropic&min_latency_ms=200&max_latency_ms=240'), [
        'req-020',
        'req-022',
        'req-024',
      ]);
      assert.deepEqual(await ids('?min_cost_micros=2800&max_cost_micros=3000'), ['req-028', 'req-029', 'req-030']);
      assert.deepEqual(await ids('?cache_hit=true'), ['req-007', 'req-014', 'req-021', 'req-028']);
      // [00:03, 00:06) in explicit UTC: from inclusive, to exclusive.
      assert.deepEqual(await ids('?from=2025-03-10T00:03:00Z&to=2025-03-10T00:06:00.000%2B00:00'), [
        'req-003',
        'req-004',
        'req-005',
      ]);
      const item = (await list('?status=success&limit=1&from=2025-03-10T11:00:00Z')).data[0] as Json;
      assert.equal(item.request_id, 'req-fallback');
      assert.equal(item.cost_usd, '0.004321');
      assert.equal(item.overhead_ms, 2.125);
      assert.equal(item.attempt_count, 4);
      assert.equal(item.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(item.reasoning_tokens, 20);
      const plain = (await list('?limit=1&to=2025-03-10T00:02:00Z')).data[0] as Json;
      assert.deepEqual([plain.request_id, plain.cache_write_tokens, plain.reasoning_tokens], ['req-001', 0, 0]);
    });

    it('shows one request with its attempts, cost and overhead; another tenant’s id is a 404', async () => {
      const res = await get('/admin/v1/tenants/tr/requests/req-fallback');
      assert.equal(res.status, 200, await res.clone().text());
      const d = (await res.json()) as Json;
      assert.equal(d.object, 'request');
      assert.equal(d.cost_micros, 4321);
      assert.equal(d.overhead_ms, 2.125);
      assert.deepEqual(
        [d.cached_tokens, d.cache_write_tokens, d.reasoning_tokens, d.completion_tokens],
        [0, 6, 20, 32],
      );
      assert.deepEqual(
        d.attempts.map((a: Json) => [a.deployment, a.outcome, a.status, a.next, a.latency_ms]),
        [
          ['primary', 'breaker_open', null, 'fallback', 0],
          ['second', 'error', 503, 'retry', 12.5],
          ['second', 'timeout', null, 'fallback', 30],
          ['backup', 'success', null, null, 40.25],
        ],
      );
      const other = await get('/admin/v1/tenants/tr/requests/req-other-tenant');
      assert.equal(other.status, 404);
      assert.match(other.headers.get('content-type') ?? '', /problem\+json/);
      assert.equal(((await other.json()) as Json).code, 'request_not_found');
      // The other tenant's own admin sees it; this tenant's admin may not list the other tenant.
      assert.equal(
        (await get('/admin/v1/tenants/other/requests/req-other-tenant', asCaller({ tenant: 'other', role: 'owner' })))
          .status,
        200,
      );
      assert.equal((await get('/admin/v1/tenants/other/requests')).status, 404);
      assert.equal(
        (await get('/admin/v1/tenants/tr/requests', asCaller({ tenant: 'tr', role: 'viewer' }))).status,
        200,
      );
    });

    it('refuses bad parameters as problem+json naming the parameter', async () => {
      const cases: [string, string][] = [
        ['?status=weird', 'status'],
        ['?from=2025-03-10T00:00:00', 'from'],
        ['?to=2025-03-10', 'to'],
        ['?min_latency_ms=-1', 'min_latency_ms'],
        ['?min_latency_ms=50&max_latency_ms=10', 'min_latency_ms'],
        ['?min_cost_micros=1.5', 'min_cost_micros'],
        ['?cache_hit=yes', 'cache_hit'],
        ['?limit=0', 'limit'],
        ['?cursor=bm9wZQ', 'cursor'],
        ['?from=2025-03-11T00:00:00Z&to=2025-03-10T00:00:00Z', 'from'],
        ['?modle=mini', 'modle'],
      ];
      for (const [q, param] of cases) {
        const res = await get(`/admin/v1/tenants/tr/requests${q}`);
        assert.equal(res.status, 400, q);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/, q);
        const body = (await res.json()) as Json;
        assert.ok(JSON.stringify(body).includes(param), `${q}: ${JSON.stringify(body)}`);
      }
    });
  });
}
