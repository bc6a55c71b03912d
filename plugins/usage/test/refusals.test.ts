/**
 * Requests refused before an AI call was prepared (invalid body, unknown model, missing scope, rate
 * limit, budget) are usage records: the model as asked, the status and error code, no provider,
 * zero tokens, cost 0. They show in the request explorer and the overview's error rate, and leave
 * spend, budgets and invoices as they were (an invoice has no item for them). Unauthenticated requests (no tenant) are not recorded.
 * With the real ai, rate-limit and usage plugins, on SQLite and on PostgreSQL + Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  identityPlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import rateLimitPlugin from '@aihub/plugin-rate-limit';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { isRefusal } from '../src/records';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
type Json = Record<string, any>;

const KEY = 'sk-mock-upstream-0123456789abcdef';

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`refused requests as usage records (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const tenant = `tref-${kind}`;
    const caller = (extra: Parameters<typeof asCaller>[0] = {}) =>
      asCaller({ tenant, key: 'k-ref', team: 'blue', ...extra });
    const admin = asCaller({ tenant, role: 'viewer' });
    const post = (path: string, headers: Record<string, string>, body: unknown) =>
      gw.fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const chat = (headers: Record<string, string>, body: Json = {}) =>
      post('/v1/chat/completions', headers, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        ...body,
      });
    const api = async (path: string): Promise<Json> => {
      const res = await gw.fetch(path, { headers: admin });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Json;
    };
    const requests = (query = '') => api(`/admin/v1/tenants/${tenant}/requests?limit=200${query}`);

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ apiKey: KEY, completionTokens: 7, record: 0 });
      gw = await startTestGateway({
        plugins: [identityPlugin(), aiPlugin as PluginDefinition, rateLimitPlugin as PluginDefinition, usagePlugin],
        pluginConfig: {
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
            models: {
              'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
              'gpt-limited': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
            },
            retry: { maxAttempts: 1 },
          },
          'rate-limit': { windowSeconds: 3600, models: { 'gpt-limited': { requestsPerMinute: 1 } } },
          usage: { consumer: { blockMs: 50 } },
        },
        config: backend.config,
      });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('records each refusal with the model as asked, its status and code, no provider and nothing spent', async () => {
      const ok = await chat(caller());
      assert.equal(ok.status, 200, await ok.clone().text());
      await ok.arrayBuffer();
      await waitFor('the answered request', async () => (await requests()).data.length === 1);
      const spentBefore = (await api(`/admin/v1/tenants/${tenant}/usage`)).totals as Json;
      const received = mock.stats.received;

      const refusals: { res: Response; model: string; status: number; code: string; endpoint?: string }[] = [];
      const expect = async (res: Promise<Response>, model: string, status: number, code: string, endpoint?: string) => {
        const r = await res;
        assert.equal(r.status, status, await r.clone().text());
        const body = (await r.json()) as Json;
        assert.equal(body.error.code, code);
        refusals.push({ res: r, model, status, code, endpoint });
      };
      await expect(chat(caller(), { model: 'no-such-model' }), 'no-such-model', 404, 'model_not_found');
      await expect(chat(caller(), { messages: 'not a list' }), 'gpt-4o-mini', 400, 'invalid_type');
      await expect(chat(caller({ scopes: ['events:write'] })), 'gpt-4o-mini', 403, 'insufficient_scope');
      await expect(
        chat(caller({ tenantSettings: { allowedModels: ['gpt-limited'] } })),
        'gpt-4o-mini',
        404,
        'model_not_found',
      );
      const limited = await chat(caller(), { model: 'gpt-limited' });
      assert.equal(limited.status, 200);
      await limited.arrayBuffer();
      await expect(chat(caller(), { model: 'gpt-limited' }), 'gpt-limited', 429, 'rate_limit_exceeded');
      await expect(chat(caller({ tenantBudgets: { dailyHardMicros: 1 } })), 'gpt-4o-mini', 429, 'budget_exceeded');
      await expect(
        post('/v1/embeddings', caller(), { model: 'nope-embed', input: 'x' }),
        'nope-embed',
        404,
        'model_not_found',
        'embeddings',
      );
      await expect(post('/v1/chat/completions', caller(), '{"model": broken'), 'unknown', 400, 'invalid_json');
      // No tenant: nothing to record it under.
      const anonymous = await chat({});
      assert.equal(anonymous.status, 401);
      await anonymous.arrayBuffer();
      assert.equal(mock.stats.received - received, 1, 'only the one rate-limited alias call reached the upstream');

      await waitFor('every refusal recorded', async () => (await requests()).data.length === 2 + refusals.length);
      const list = (await requests()).data as Json[];
      for (const r of refusals) {
        const id = r.res.headers.get('x-request-id');
        const row = list.find((x) => x.request_id === id);
        assert.ok(row, `the ${r.status} ${r.code} refusal is in the explorer`);
        assert.equal(row.model, r.model);
        assert.equal(row.endpoint, r.endpoint ?? 'chat.completions');
        assert.equal(row.status, 'error');
        assert.equal(row.http_status, r.status);
        assert.equal(row.error_code, r.code);
        assert.equal(row.provider, null);
        assert.equal(row.deployment, null);
        assert.equal(row.key_id, 'k-ref');
        assert.equal(row.team_id, 'blue');
        assert.equal(row.total_tokens, 0);
        assert.equal(row.cost_micros, 0);
        assert.equal(row.priced, true);
        assert.equal(row.attempt_count, 0);
        assert.ok(row.latency_ms >= 0 && row.overhead_ms !== null);
        assert.ok(
          isRefusal({
            status: row.status,
            provider: row.provider,
            attemptCount: row.attempt_count,
            totalTokens: row.total_tokens,
            costMicros: row.cost_micros,
            cacheHit: row.cache_hit,
          }),
        );
      }
      // Filterable like any other request: by status and by the model as asked.
      const errors = (await requests('&status=error')).data as Json[];
      assert.equal(errors.length, refusals.length);
      assert.deepEqual(
        ((await requests('&model=no-such-model')).data as Json[]).map((x) => x.http_status),
        [404],
      );
      // And by the error code: every refusal of one kind, e.g. the two unknown models.
      assert.deepEqual(
        ((await requests('&error_code=model_not_found')).data as Json[]).map((x) => x.model).sort(),
        ['gpt-4o-mini', 'nope-embed', 'no-such-model'].sort(),
      );
      assert.deepEqual(
        ((await requests('&error_code=budget_exceeded')).data as Json[]).map((x) => x.http_status),
        [429],
      );
      const detail = await api(`/admin/v1/tenants/${tenant}/requests/${refusals[0].res.headers.get('x-request-id')}`);
      assert.equal(detail.error_code, 'model_not_found');
      assert.deepEqual(detail.attempts, []);

      // The overview's error rate counts them; spend is what the two answered requests cost.
      const summary = await api(`/admin/v1/tenants/${tenant}/usage/summary`);
      const total = 2 + refusals.length;
      assert.equal(summary.requests, total);
      assert.equal(summary.error_requests, refusals.length);
      assert.equal(summary.error_rate, refusals.length / total);
      assert.equal(
        summary.cost_micros,
        spentBefore.cost_micros + list.find((x) => x.model === 'gpt-limited' && x.status === 'success')!.cost_micros,
      );
      const spent = (await api(`/admin/v1/tenants/${tenant}/usage`)).totals as Json;
      assert.equal(spent.requests, total);
      assert.equal(spent.error_requests, refusals.length);
      assert.equal(
        spent.total_tokens - spentBefore.total_tokens,
        list.find((x) => x.model === 'gpt-limited' && x.status === 'success')!.total_tokens,
      );
      assert.equal(
        spent.cost_micros - spentBefore.cost_micros,
        list.find((x) => x.model === 'gpt-limited' && x.status === 'success')!.cost_micros,
      );

      // Never invoiced: the month's invoice has the two answered requests and no item for a refused model.
      const invoice = await api(`/admin/v1/tenants/${tenant}/invoices/${new Date().toISOString().slice(0, 7)}`);
      assert.deepEqual((invoice.line_items as Json[]).map((i) => [i.model, i.requests]).sort(), [
        ['gpt-4o-mini', 1],
        ['gpt-limited', 1],
      ]);
      assert.equal(invoice.totals.requests, 2);
      assert.equal(invoice.totals.amount_micros, spent.cost_micros);
    });
  });
}
