import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import rateLimit from '../src/index';
import { BACKENDS, createBackend, type Backend } from './fixtures/backends';
import { fakeAiPlugin, identityPlugin, readSse, type FakeAi, type IdentityFixture } from './fixtures/plugins';

interface OpenAiError {
  error: { message: string; type: string; code: string; param: string | null };
}

const chat = (headers: Record<string, string>, body: Record<string, unknown> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 20, ...body }),
});

for (const backendName of BACKENDS) {
  describe(`rate-limit on ${backendName}`, () => {
    let backend: Backend;
    let gw: TestGateway;
    let identity: IdentityFixture;
    let ai: FakeAi;
    let tenantSeq = 0;
    /** A fresh tenant per test, so counters never leak between tests. */
    const tenant = (extra: Record<string, string> = {}) => ({
      'x-test-tenant': `t${++tenantSeq}-${Date.now()}`,
      'x-test-key': 'k1',
      ...extra,
    });

    before(async () => {
      backend = await createBackend(backendName);
      identity = identityPlugin();
      ai = fakeAiPlugin({ completionTokens: 10, promptTokens: 5 });
      gw = await startTestGateway({
        plugins: [identity.plugin, ai.plugin, rateLimit],
        config: backend.config,
        pluginConfig: {
          'rate-limit': {
            // Long windows: a test never straddles two.
            windowSeconds: 3600,
            defaults: { requestsPerMinute: 5 },
            models: { 'big-model': { tokensPerMinute: 1000 }, 'slow-model': { concurrentRequests: 2 } },
            plans: { free: { requestsPerMinute: 50, tokensPerMinute: 100_000 }, tiny: { requestsPerMinute: 2 } },
            tags: ['ai', 'events'],
            policyCacheSeconds: 60,
          },
        },
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('allows up to the limit with RateLimit-* and x-ratelimit-* headers, then answers 429 like OpenAI', async () => {
      const h = tenant();
      for (let i = 1; i <= 5; i++) {
        const res = await gw.fetch('/v1/chat/completions', chat(h));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('ratelimit-limit'), '5');
        assert.equal(res.headers.get('ratelimit-remaining'), String(5 - i));
        const reset = Number(res.headers.get('ratelimit-reset'));
        assert.ok(reset >= 1 && reset <= 3600, `reset ${reset}`);
        assert.equal(res.headers.get('x-ratelimit-limit-requests'), '5');
        assert.equal(res.headers.get('x-ratelimit-remaining-requests'), String(5 - i));
        assert.match(res.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+m\d+s|[\d.]+s|\d+ms)$/);
        await res.arrayBuffer();
      }
      const limited = await gw.fetch('/v1/chat/completions', chat(h));
      assert.equal(limited.status, 429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 3600);
      assert.equal(limited.headers.get('ratelimit-remaining'), '0');
      const body = (await limited.json()) as OpenAiError;
      assert.equal(body.error.code, 'rate_limit_exceeded');
      assert.equal(body.error.type, 'requests');
      assert.match(body.error.message, /requests per minute \(RPM\).*global level.*Limit 5, Used 5, Requested 1/);
      assert.equal(ai.calls.chat >= 5, true);
    });

    it('counts per tenant: another tenant is not affected', async () => {
      const a = tenant();
      for (let i = 0; i < 5; i++) await (await gw.fetch('/v1/chat/completions', chat(a))).arrayBuffer();
      assert.equal((await gw.fetch('/v1/chat/completions', chat(a))).status, 429);
      assert.equal((await gw.fetch('/v1/chat/completions', chat(tenant()))).status, 200);
    });

    it('applies the most specific level: key limits from the Principal, counted per key', async () => {
      const h = tenant({ 'x-test-limits': JSON.stringify({ requestsPerMinute: 2 }) });
      assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200);
      assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200);
      const third = await gw.fetch('/v1/chat/completions', chat(h));
      assert.equal(third.status, 429);
      assert.match(((await third.json()) as OpenAiError).error.message, /this API key \(key level\): Limit 2/);
      // Another key of the same tenant has its own counter.
      assert.equal((await gw.fetch('/v1/chat/completions', chat({ ...h, 'x-test-key': 'k2' }))).status, 200);
    });

    it('caps limits at the plan bound (level plan)', async () => {
      const h = tenant({ 'x-test-plan': 'tiny', 'x-test-tenant-limits': JSON.stringify({ requestsPerMinute: 100 }) });
      await (await gw.fetch('/v1/chat/completions', chat(h))).arrayBuffer();
      await (await gw.fetch('/v1/chat/completions', chat(h))).arrayBuffer();
      const res = await gw.fetch('/v1/chat/completions', chat(h));
      assert.equal(res.status, 429);
      assert.match(((await res.json()) as OpenAiError).error.message, /plan level\): Limit 2/);
    });

    it('reserves estimated tokens before the call and reconciles with real usage after it', async () => {
      const h = tenant();
      // big-model: 1000 TPM. Reservation = prompt estimate (ceil(11 bytes / 4) + 7 framing) + max_tokens 200 = 210.
      const first = await gw.fetch('/v1/chat/completions', chat(h, { model: 'big-model', max_tokens: 200 }));
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '1000');
      assert.equal(first.headers.get('x-ratelimit-remaining-tokens'), String(1000 - 210));
      await first.arrayBuffer();
      // Real usage was 15 tokens: the reservation is corrected after the response.
      await sleep(150);
      const next = await gw.fetch('/v1/chat/completions', chat(h, { model: 'big-model', max_tokens: 200 }));
      await next.arrayBuffer();
      assert.equal(next.headers.get('x-ratelimit-remaining-tokens'), String(1000 - 15 - 210));
    });

    it('refuses a request whose reservation does not fit with type "tokens", before calling upstream', async () => {
      const h = tenant();
      const before = ai.calls.chat;
      const res = await gw.fetch('/v1/chat/completions', chat(h, { model: 'big-model', max_tokens: 5000 }));
      assert.equal(res.status, 429);
      const body = (await res.json()) as OpenAiError;
      assert.equal(body.error.type, 'tokens');
      assert.equal(body.error.code, 'rate_limit_exceeded');
      assert.match(
        body.error.message,
        /Request too large for big-model on tokens per minute \(TPM\).*model level\): Limit 1000, Requested 5010/,
      );
      assert.equal(res.headers.get('ratelimit-limit'), '1000', 'RateLimit-* names the dimension that refused');
      assert.equal(ai.calls.chat, before);
    });

    it('reserves a Responses request from its input items and max_output_tokens, refusing a big one before upstream', async () => {
      const h = tenant();
      const post = (body: Record<string, unknown>) =>
        gw.fetch('/v1/responses', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...h },
          body: JSON.stringify({ model: 'big-model', ...body }),
        });
      const input = [
        { role: 'user', content: [{ type: 'input_text', text: 'look it up' }] },
        { type: 'function_call', call_id: 'c1', name: 'search', arguments: '{"q":"x"}' },
        { type: 'function_call_output', call_id: 'c1', output: 'z'.repeat(3600) },
      ];
      const before = ai.calls.responses;
      // 10 + (6 + 9) + 3600 bytes → 907 tokens, framing 3 + 3×4 = 15, plus max_output_tokens 100: 1022 > 1000.
      const big = await post({ input, max_output_tokens: 100 });
      assert.equal(big.status, 429);
      const body = (await big.json()) as OpenAiError;
      assert.equal(body.error.type, 'tokens');
      assert.match(body.error.message, /Limit 1000, Requested 1022/);
      assert.equal(ai.calls.responses, before, 'the upstream was not called');
      const small = await post({ input: 'hi', instructions: 'Be brief.', max_output_tokens: 50 });
      assert.equal(small.status, 200);
      // ceil((2 + 9) / 4) = 3, framing 3 + 4 + 4 = 11, plus 50.
      assert.equal(small.headers.get('x-ratelimit-remaining-tokens'), String(1000 - 64));
      assert.equal(ai.calls.responses, before + 1);
    });

    it('reconciles streamed requests after the stream ends (usage from AiCallKey)', async () => {
      const h = tenant();
      const res = await gw.fetch(
        '/v1/chat/completions',
        chat(h, { model: 'big-model', max_tokens: 300, stream: true }),
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-remaining-tokens'), String(1000 - 310));
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]');
      await sleep(150);
      const next = await gw.fetch('/v1/chat/completions', chat(h, { model: 'big-model', max_tokens: 10 }));
      await next.arrayBuffer();
      assert.equal(next.headers.get('x-ratelimit-remaining-tokens'), String(1000 - 15 - 20));
    });

    it('limits concurrent requests and releases the slot when a request ends', async () => {
      const h = tenant();
      const slow = { 'x-test-delay-ms': '300' };
      const inFlight = [
        gw.fetch('/v1/chat/completions', chat({ ...h, ...slow }, { model: 'slow-model' })),
        gw.fetch('/v1/chat/completions', chat({ ...h, ...slow }, { model: 'slow-model' })),
      ];
      await sleep(100);
      const third = await gw.fetch('/v1/chat/completions', chat(h, { model: 'slow-model' }));
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '1');
      assert.match(
        ((await third.json()) as OpenAiError).error.message,
        /Concurrency limit reached for slow-model.*Limit 2 requests in flight/,
      );
      for (const r of await Promise.all(inFlight)) assert.equal(r.status, 200);
      await waitFor(
        async () => (await gw.fetch('/v1/chat/completions', chat(h, { model: 'slow-model' }))).status === 200,
      );
    });

    it('limits other configured tags by requests only, and leaves untagged routes alone', async () => {
      const h = tenant();
      for (let i = 0; i < 5; i++)
        assert.equal((await gw.fetch('/v1/other', { method: 'POST', headers: h })).status, 200);
      const res = await gw.fetch('/v1/other', { method: 'POST', headers: h });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('x-ratelimit-limit-tokens'), null);
    });

    it('lets tenant admins set limits within their plan through the admin API (audited, effective at once)', async () => {
      const h = tenant({ 'x-test-role': 'admin', 'x-test-plan': 'free' });
      const tenantId = h['x-test-tenant'];
      identity.tenants.set(tenantId, {
        id: tenantId,
        slug: tenantId,
        name: tenantId,
        status: 'active',
        plan: 'free',
        settings: {},
      });
      const put = (path: string, body: unknown, headers = h) =>
        gw.fetch(`/admin/v1/tenants/${tenantId}${path}`, {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      const tooHigh = await put('/limits', { requestsPerMinute: 51 });
      assert.equal(tooHigh.status, 400);
      const problem = (await tooHigh.json()) as { code: string; detail: string };
      assert.equal(problem.code, 'exceeds_plan', 'the same code as tenant settings and budgets');
      assert.match(problem.detail, /requestsPerMinute is 51, above the bound of 50 in plan "free"/);

      // Warm the policy cache, then change the key's limit: the next request sees it.
      assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200);
      const ok = await put('/keys/k1/limits', { requestsPerMinute: 1, tokensPerMinute: null });
      assert.equal(ok.status, 200);
      const row = (await ok.json()) as { scope: string; subjectId: string; limits: Record<string, number> };
      assert.deepEqual([row.scope, row.subjectId, row.limits], ['key', 'k1', { requestsPerMinute: 1 }]);
      // The key level now decides, with its own counter: one request, then 429.
      assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200);
      const res = await gw.fetch('/v1/chat/completions', chat(h));
      assert.equal(res.status, 429, 'the new key limit applies immediately');
      assert.match(((await res.json()) as OpenAiError).error.message, /key level\): Limit 1/);

      assert.equal((await put('/limits', { requestsPerMinute: 40, concurrentRequests: 3 })).status, 200);
      const overview = await gw.fetch(`/admin/v1/tenants/${tenantId}/limits`, { headers: h });
      assert.equal(overview.status, 200);
      const o = (await overview.json()) as {
        plan: string;
        planBounds: Record<string, number>;
        policies: { scope: string; limits: Record<string, number> }[];
      };
      assert.equal(o.plan, 'free');
      assert.deepEqual(o.planBounds, { requestsPerMinute: 50, tokensPerMinute: 100_000 });
      assert.deepEqual(
        o.policies.map((p) => [p.scope, p.limits]),
        [
          ['key', { requestsPerMinute: 1 }],
          ['tenant', { requestsPerMinute: 40, concurrentRequests: 3 }],
        ],
      );
      const key = await gw.fetch(`/admin/v1/tenants/${tenantId}/keys/k1/limits`, { headers: h });
      assert.equal(key.status, 200);
      assert.equal((await gw.fetch(`/admin/v1/tenants/${tenantId}/teams/nope/limits`, { headers: h })).status, 404);

      const del = await gw.fetch(`/admin/v1/tenants/${tenantId}/keys/k1/limits`, { method: 'DELETE', headers: h });
      assert.equal(del.status, 204);
      assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200, 'back to the tenant policy (40)');

      const mine = identity.audit.filter((e) => e.tenantId === tenantId);
      assert.deepEqual(
        mine.map((e) => [e.action, e.targetType, e.targetId]),
        [
          ['rate_limit.update', 'key_limits', 'k1'],
          ['rate_limit.update', 'tenant_limits', tenantId],
          ['rate_limit.delete', 'key_limits', 'k1'],
        ],
      );
      assert.deepEqual(mine[0].after, { requestsPerMinute: 1 });
      assert.equal(mine[0].before, null);
    });

    it('reports what each limit has used in the current window (tenant, key policy, configured model)', async () => {
      const h = tenant({ 'x-test-role': 'admin', 'x-test-plan': 'free' });
      const tenantId = h['x-test-tenant'];
      identity.tenants.set(tenantId, {
        id: tenantId,
        slug: tenantId,
        name: tenantId,
        status: 'active',
        plan: 'free',
        settings: {},
      });
      const put = (path: string, body: unknown) =>
        gw.fetch(`/admin/v1/tenants/${tenantId}${path}`, {
          method: 'PUT',
          headers: { ...h, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      assert.equal((await put('/keys/k1/limits', { requestsPerMinute: 10 })).status, 200);
      assert.equal((await put('/limits', { requestsPerMinute: 20 })).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await gw.fetch('/v1/chat/completions', chat(h))).status, 200);
      // Key k2 has no policy: its request counts at the tenant level, its tokens at big-model's.
      const k2 = { ...h, 'x-test-key': 'k2' };
      assert.equal((await gw.fetch('/v1/chat/completions', chat(k2, { model: 'big-model' }))).status, 200);
      type Usage = {
        windowSeconds: number;
        resetMs: number;
        counters: { scope: string; subjectId: string; requests: number; tokens: number; concurrent: number }[];
        truncated: boolean;
      };
      const ok = await gw.fetch(`/admin/v1/tenants/${tenantId}/limits/usage`, { headers: h });
      assert.equal(ok.status, 200, await ok.clone().text());
      const u = (await ok.json()) as Usage;
      assert.equal(u.windowSeconds, 3600);
      assert.ok(u.resetMs > 0 && u.resetMs <= 3_600_000);
      const of = (scope: string, id: string) => u.counters.find((x) => x.scope === scope && x.subjectId === id);
      assert.equal(of('key', 'k1')?.requests, 3);
      assert.equal(of('tenant', tenantId)?.requests, 1);
      assert.ok((of('model', 'big-model')?.tokens ?? 0) > 0, 'the big-model token counter moved');
      assert.equal(of('model', 'slow-model')?.concurrent, 0);
      assert.equal(u.truncated, false);
      assert.equal((await gw.fetch(`/admin/v1/tenants/someone-else/limits/usage`, { headers: h })).status, 404);
      assert.equal((await gw.fetch(`/admin/v1/tenants/${tenantId}/limits/usage`)).status, 401);
    });

    it('authorizes the admin API: other tenants get 404, developers 403, invalid input 400', async () => {
      const h = tenant({ 'x-test-role': 'admin' });
      const body = {
        method: 'PUT',
        headers: { ...h, 'content-type': 'application/json' },
        body: JSON.stringify({ requestsPerMinute: 1 }),
      };
      assert.equal((await gw.fetch('/admin/v1/tenants/someone-else/limits', body)).status, 404);
      const dev = { ...body, headers: { ...body.headers, 'x-test-role': 'developer' } };
      assert.equal((await gw.fetch(`/admin/v1/tenants/${h['x-test-tenant']}/limits`, dev)).status, 403);
      const bad = await gw.fetch(`/admin/v1/tenants/${h['x-test-tenant']}/limits`, {
        ...body,
        body: JSON.stringify({ requestsPerMinute: -3, extra: 1 }),
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, 'validation_failed');
      assert.equal((await gw.fetch(`/admin/v1/tenants/${h['x-test-tenant']}/limits`, { method: 'GET' })).status, 401);
    });

    it('exports decisions by outcome, level and dimension', async () => {
      const text = await (await gw.fetch('/metrics')).text();
      assert.match(
        text,
        /aihub_ratelimit_decisions_total\{outcome="allowed",level="global",dimension="requests"\} \d+/,
      );
      assert.match(text, /aihub_ratelimit_decisions_total\{outcome="limited",level="key",dimension="requests"\} \d+/);
      assert.match(
        text,
        /aihub_ratelimit_decisions_total\{outcome="limited",level="model",dimension="concurrency"\} \d+/,
      );
      assert.match(text, /aihub_ratelimit_decisions_total\{outcome="limited",level="model",dimension="tokens"\} \d+/);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retries an async check for up to 2 s (settling happens just after the response is sent). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail('condition not met within 2 s');
    await sleep(20);
  }
}
