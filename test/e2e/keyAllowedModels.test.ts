import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@aihub/core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';

/** An API key's allowed_models, end to end: set in the admin API, enforced by the ai plugin on a real key. */
describe('API key allowed_models (tenancy + auth + ai)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const admin = generateApiKey().key;
  let base: string;

  const adminCall = (method: string, path: string, body?: unknown) =>
    gw.fetch(path, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const chat = (key: string, model: string) =>
    gw.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });

  before(async () => {
    db = await createTestDatabase('sqlite');
    gw = await startTestGateway({
      plugins: [tenancy, auth, ai],
      pluginConfig: {
        auth: {
          keySecret: 'allowed-models-key-secret-0123456789abcdefghijkl',
          bootstrap: { adminKey: admin, print: false },
        },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 2 } } },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
            'gpt-4o': { deployments: [{ provider: 'mock', model: 'gpt-4o' }] },
          },
        },
      },
      config: { database: { url: db.url } },
    });
    const tenants = (await (await adminCall('GET', '/admin/v1/tenants')).json()) as {
      data: { id: string; slug: string }[];
    };
    base = `/admin/v1/tenants/${tenants.data.find((t) => t.slug === 'default')!.id}/api-keys`;
  });

  after(async () => {
    await gw?.stop();
    await db?.drop();
  });

  test('a key limited to one model gets 403 model_not_allowed (OpenAI shape) for another, and sees only its models', async () => {
    const created = (await (
      await adminCall('POST', base, { name: 'mini only', allowed_models: ['gpt-4o-mini'] })
    ).json()) as { id: string; key: string };
    const ok = await chat(created.key, 'gpt-4o-mini');
    assert.equal(ok.status, 200, await ok.clone().text());
    const denied = await chat(created.key, 'gpt-4o');
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as { error: { code: string; type: string; param: string; message: string } };
    assert.equal(body.error.code, 'model_not_allowed');
    assert.equal(body.error.type, 'permission_error');
    assert.equal(body.error.param, 'model');
    assert.match(body.error.message, /gpt-4o/);
    assert.equal((await chat(created.key, 'no-such-model')).status, 404, 'unknown models stay 404');
    const models = (await (
      await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${created.key}` } })
    ).json()) as { data: { id: string }[] };
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['gpt-4o-mini'],
    );
    assert.equal(
      (await gw.fetch('/v1/models/gpt-4o', { headers: { authorization: `Bearer ${created.key}` } })).status,
      404,
    );

    // Lifting the restriction applies at once (the key's cache entry is evicted on change).
    assert.equal((await adminCall('PATCH', `${base}/${created.id}`, { allowed_models: null })).status, 200);
    assert.equal((await chat(created.key, 'gpt-4o')).status, 200);
    const unrestricted = (await (await adminCall('POST', base, { name: 'any' })).json()) as { key: string };
    const all = (await (
      await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${unrestricted.key}` } })
    ).json()) as { data: { id: string }[] };
    assert.equal(all.data.length, 2);
  });
});
