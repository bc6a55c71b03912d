/**
 * Metering end to end through a real gateway: the test ai route (write-ahead + final records, like
 * the ai plugin should) → EventQueue → usage consumer → usage rows and rollups, compared with the
 * mock upstream's own counters. Runs on the embedded default and on PostgreSQL + Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { USAGE_TOPIC } from '@aihub/core/plugin-api';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { PRICE, fakeAiPlugin } from './helpers/fakeAi';
import { asCaller, identityPlugin, testTenancy } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';

const ADMIN = asCaller({ tenant: 't1', role: 'owner', user: 'u-admin' });

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`usage metering (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const probe = probePlugin();
    const tenancy = testTenancy();

    const rows = async (where = '1=1'): Promise<Record<string, unknown>[]> => {
      const db = probe.ctx().database;
      return db.sequelize.query(`SELECT * FROM usage_records WHERE ${where} ORDER BY created_at`, {
        type: 'SELECT',
      }) as Promise<Record<string, unknown>[]>;
    };
    const count = async (where = '1=1') => (await rows(where)).length;
    const chat = (
      caller: Record<string, string>,
      body: Record<string, unknown> = {},
      headers: Record<string, string> = {},
    ) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...caller, ...headers },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Say hello to the usage plugin' }],
          ...body,
        }),
      });
    const usage = async (query: string, caller = ADMIN) => {
      const res = await gw.fetch(`/admin/v1/tenants/t1/usage?${query}`, { headers: caller });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { totals: Record<string, number>; data: Record<string, unknown>[] };
    };

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ completionTokens: 12, record: 0 });
      gw = await startTestGateway({
        plugins: [identityPlugin(), tenancy.plugin, fakeAiPlugin({ upstreamUrl: mock.url }), usagePlugin, probe.plugin],
        pluginConfig: {
          usage: { consumer: { blockMs: 50, claimIdleMs: 1000 }, pending: { sweepIntervalMs: 200, timeoutMs: 60_000 } },
        },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('writes one row per request, and the totals equal the mock upstream’s own token counts', async () => {
      const callers = [
        asCaller({ tenant: 't1', key: 'k1', team: 'red', user: 'alice' }),
        asCaller({ tenant: 't1', key: 'k2', team: 'blue' }),
      ];
      const n = 40;
      await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const res = await chat(callers[i % 2], {
            model: i % 4 === 0 ? 'gpt-4o' : 'gpt-4o-mini',
            messages: [{ role: 'user', content: `question number ${i} ${'x'.repeat(i)}` }],
          });
          assert.equal(res.status, 200);
          await res.arrayBuffer();
        }),
      );
      await waitFor('all usage rows', async () => (await count()) === n);
      const all = await rows();
      assert.equal(new Set(all.map((r) => r.request_id)).size, n, 'no duplicate request ids');
      const sum = (f: string) => all.reduce((a, r) => a + Number(r[f]), 0);
      assert.equal(sum('prompt_tokens'), mock.stats.promptTokens);
      assert.equal(sum('completion_tokens'), mock.stats.completionTokens);
      assert.equal(mock.stats.requests, n);
      assert.equal(
        sum('cost_micros'),
        mock.stats.promptTokens * PRICE.inputPerToken + mock.stats.completionTokens * PRICE.outputPerToken,
      );

      // The API's totals come from the daily rollups: they must equal the rows exactly.
      const u = await usage('group_by=model');
      assert.equal(u.totals.requests, n);
      assert.equal(u.totals.prompt_tokens, mock.stats.promptTokens);
      assert.equal(u.totals.completion_tokens, mock.stats.completionTokens);
      assert.equal(u.totals.cost_micros, sum('cost_micros'));
      assert.deepEqual(
        u.data.map((d) => [d.model, d.requests]),
        [
          ['gpt-4o', 10],
          ['gpt-4o-mini', 30],
        ],
      );
      const byKey = await usage('group_by=key,team');
      assert.deepEqual(
        byKey.data.map((d) => [d.key_id, d.team_id, d.requests]),
        [
          ['k1', 'red', 20],
          ['k2', 'blue', 20],
        ],
      );
      const filtered = await usage('key_id=k1&group_by=day');
      assert.equal(filtered.totals.requests, 20);
      assert.equal(filtered.data.length, 30, 'a 30-day series, zero-filled');
      assert.equal(filtered.data.at(-1)!.requests, 20);
      // All 40 pending (write-ahead) records were matched by their final record.
      const pend = (await probe
        .ctx()
        .database.sequelize.query('SELECT COUNT(*) AS n FROM usage_pending', { type: 'SELECT' })) as { n: unknown }[];
      assert.equal(Number(pend[0].n), 0);
    });

    it('drops redelivered and re-published records as duplicates (idempotent by request id)', async () => {
      const before = await rows();
      const metricsBefore = await (await gw.fetch('/metrics')).text();
      const dupBefore = metricValue(metricsBefore, 'aihub_usage_duplicates_dropped_total');
      // Publish the stored records again, as a redelivery after a crash would.
      const again = before.slice(0, 5).map((r) => ({
        requestId: r.request_id,
        timestamp: new Date(String(r.created_at)).toISOString(),
        tenantId: r.tenant_id,
        keyId: r.key_id,
        userId: r.user_id,
        teamId: r.team_id,
        endpoint: r.endpoint,
        model: r.model,
        promptTokens: 999,
        completionTokens: 999,
        cachedTokens: 0,
        totalTokens: 1998,
        costMicros: 999_999,
        priced: true,
        status: 'success',
      }));
      await probe.ctx().queue.publishNow(USAGE_TOPIC, [...again, again[0]]);
      await waitFor(
        'duplicates counted',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_duplicates_dropped_total') >=
          dupBefore + 6,
      );
      assert.equal(await count(), before.length);
      const u = await usage('');
      assert.equal(u.totals.prompt_tokens, mock.stats.promptTokens, 'rollups unchanged by duplicates');
    });

    it('meters streams from the final usage chunk, cancelled streams with what was streamed, and cache hits at zero cost', async () => {
      const caller = asCaller({ tenant: 't1', key: 'k-stream' });
      const served = mock.stats.requests;
      const res = await chat(caller, { stream: true });
      const text = await res.text();
      assert.match(text, /\[DONE\]/);
      await waitFor('stream row', async () => (await count("key_id = 'k-stream'")) === 1);
      const [s] = await rows("key_id = 'k-stream'");
      assert.equal(s.status, 'success');
      assert.equal(Number(s.completion_tokens), 12);
      assert.ok(Number(s.ttft_ms) >= 0);
      assert.equal(mock.stats.requests, served + 1);

      // Cancelled: the client leaves after the first chunk; the upstream call is aborted.
      const aborted = mock.stats.aborted;
      const ac = new AbortController();
      const cres = await gw.fetch('/v1/chat/completions', {
        method: 'POST',
        signal: ac.signal,
        headers: {
          'content-type': 'application/json',
          ...asCaller({ tenant: 't1', key: 'k-cancel' }),
          'x-mock-chunk-delay-ms': '100',
        },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          stream: true,
          messages: [{ role: 'user', content: 'long story' }],
        }),
      });
      const reader = cres.body!.getReader();
      await reader.read();
      ac.abort();
      await waitFor('cancelled row', async () => (await count("key_id = 'k-cancel'")) === 1);
      const [cx] = await rows("key_id = 'k-cancel'");
      assert.equal(cx.status, 'cancelled');
      assert.ok(Number(cx.completion_tokens) < 12, 'only what was streamed');
      assert.ok(Number(cx.cost_micros) > 0, 'a cancelled request is still billed for its tokens');
      await waitFor('mock saw the abort', () => mock.stats.aborted === aborted + 1);

      // Cache hit: no upstream call at all, metered with its tokens at zero cost.
      const before = mock.stats.received;
      const hit = await chat(asCaller({ tenant: 't1', key: 'k-cache' }), {}, { 'x-test-cache-hit': '1' });
      assert.equal(hit.status, 200);
      await waitFor('cache row', async () => (await count("key_id = 'k-cache'")) === 1);
      const [h] = await rows("key_id = 'k-cache'");
      assert.equal(Number(h.cost_micros), 0);
      assert.ok(h.cache_hit === true || h.cache_hit === 1);
      assert.equal(mock.stats.received, before, 'no upstream call for a cache hit');
      const u = await usage('key_id=k-cache');
      assert.equal(u.totals.cache_hits, 1);
    });

    it('exposes the usage metrics', async () => {
      const text = await (await gw.fetch('/metrics')).text();
      assert.ok(metricValue(text, 'aihub_usage_records_written_total') >= 43);
      assert.ok(metricValue(text, 'aihub_usage_batches_total', { outcome: 'ok' }) >= 1);
      assert.match(text, /aihub_usage_batch_duration_seconds_bucket/);
      assert.match(text, /aihub_usage_queue_lag \d+/);
      await waitFor(
        'queue drained',
        async () => metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_queue_lag') === 0,
      );
    });

    it('keeps malformed records as dead letters instead of blocking the queue', async () => {
      const n = await count();
      await probe
        .ctx()
        .queue.publishNow(USAGE_TOPIC, [{ nope: true }, { requestId: 'bad-ts', timestamp: 'yesterday-ish' }]);
      await waitFor('dead letters', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query(
            "SELECT COUNT(*) AS n FROM aihub_dead_letters WHERE topic = 'usage' AND reason = 'malformed'",
            { type: 'SELECT' },
          )) as { n: unknown }[];
        return Number(r[0].n) === 2;
      });
      assert.equal(await count(), n);
      // The queue keeps flowing after them.
      const res = await chat(asCaller({ tenant: 't1', key: 'k-after' }));
      await res.arrayBuffer();
      await waitFor('row after dead letters', async () => (await count("key_id = 'k-after'")) === 1);
    });
  });
}
