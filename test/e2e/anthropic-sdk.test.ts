import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createTestDatabase, type TestDatabase } from '@aihub/core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import rateLimit from '@aihub/plugin-rate-limit';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';

/**
 * The Anthropic SDK with real AI Hub keys (tenancy + auth + rate-limit + ai): `x-api-key` as
 * Anthropic sends it, 401 and a rate limit's 429 in Anthropic's error shape, as the SDK's classes;
 * the request stored by the usage plugin with endpoint `messages`.
 */
describe('Anthropic SDK against the full pipeline', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let key: string;
  let tenantId: string;
  const admin = generateApiKey().key;

  before(async () => {
    db = await createTestDatabase('sqlite');
    gw = await startTestGateway({
      plugins: [tenancy, auth, rateLimit, ai, usage],
      pluginConfig: {
        auth: {
          keySecret: 'anthropic-sdk-key-secret-0123456789abcdefghijklmn',
          bootstrap: { adminKey: admin, print: false },
        },
        'rate-limit': { defaults: { requestsPerMinute: 2 } },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 3 } } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
        },
      },
      config: { database: { url: db.url } },
    });
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const tenants = (await (await gw.fetch('/admin/v1/tenants', { headers })).json()) as {
      data: { id: string; slug: string }[];
    };
    tenantId = tenants.data.find((t) => t.slug === 'default')!.id;
    const created = await gw.fetch(`/admin/v1/tenants/${tenantId}/api-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'claude code', scopes: ['ai:invoke'] }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    key = ((await created.json()) as { key: string }).key;
  });

  after(async () => {
    await gw?.stop();
    await db?.drop();
  });

  test('x-api-key authenticates; no key or a wrong one is a 401 authentication_error; the limit is a 429 rate_limit_error', async () => {
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const msg = await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(msg.type, 'message');
    assert.equal(msg.usage.output_tokens, 3);
    const rid = msg._request_id!;
    assert.match(rid, /\S/, 'the SDK reads the request id from the request-id header');
    let row: { endpoint: string; model: string; completion_tokens?: number; completionTokens?: number } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      const list = (await (
        await gw.fetch(`/admin/v1/tenants/${tenantId}/requests?limit=50`, {
          headers: { authorization: `Bearer ${admin}` },
        })
      ).json()) as { data: { request_id?: string; requestId?: string; endpoint: string; model: string }[] };
      row = list.data.find((r) => (r.request_id ?? r.requestId) === rid);
      if (!row) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(row, `request ${rid} stored by the usage plugin`);
    assert.equal(row.endpoint, 'messages');
    assert.equal(row.model, 'gpt-4o-mini');

    const raw = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(raw.status, 401);
    const body = (await raw.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'authentication_error');
    assert.match(body.error.message, /x-api-key/);

    const wrong = new Anthropic({ apiKey: 'ahk_not_a_real_key_0000000000000000', baseURL: gw.url, maxRetries: 0 });
    await assert.rejects(
      wrong.messages.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.AuthenticationError, String(e));
        assert.equal((e.error as { error: { type: string } }).error.type, 'authentication_error');
        return true;
      },
    );

    await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'Hi again' }],
    });
    await assert.rejects(
      client.messages.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'Third' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.RateLimitError, String(e));
        assert.equal(e.status, 429);
        assert.equal((e.error as { type: string }).type, 'error');
        assert.equal((e.error as { error: { type: string } }).error.type, 'rate_limit_error');
        assert.ok(e.headers?.get('retry-after'), 'retry-after tells the SDK when to retry');
        return true;
      },
    );
  });
});
