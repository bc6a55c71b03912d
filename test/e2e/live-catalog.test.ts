import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@aihub/core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';

/**
 * The live catalog with the real auth and tenancy plugins: a superadmin key changes it, a tenant's
 * admin key may not, the change is in the platform audit log (credential masked), and tenant keys use
 * the new model under the usual plan and key checks.
 */
describe('live catalog (tenancy + auth + ai)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const admin = generateApiKey().key;
  const providerKey = 'sk-live-catalog-upstream-secret-4242';
  let keys: string;

  const call = (key: string, method: string, path: string, body?: unknown) =>
    gw.fetch(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const chat = (key: string, model: string) =>
    call(key, 'POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    db = await createTestDatabase('sqlite');
    gw = await startTestGateway({
      plugins: [tenancy, auth, ai],
      pluginConfig: {
        auth: {
          keySecret: 'live-catalog-key-secret-0123456789abcdefghijklmn',
          bootstrap: { adminKey: admin, print: false },
        },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { completionTokens: 2 } } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
          catalog: { encryptionKey: Buffer.alloc(32, 9).toString('base64') },
        },
      },
      config: { database: { url: db.url } },
    });
    const tenants = (await (await call(admin, 'GET', '/admin/v1/tenants')).json()) as {
      data: { id: string; slug: string }[];
    };
    keys = `/admin/v1/tenants/${tenants.data.find((t) => t.slug === 'default')!.id}/api-keys`;
  });
  after(async () => {
    await gw?.stop();
    await db?.drop();
  });

  test('a superadmin adds a provider and a model; tenant keys use it, a tenant admin cannot change the catalog; audited', async () => {
    let res = await call(admin, 'PUT', '/admin/v1/ai/catalog/providers/spare', { type: 'mock', apiKey: providerKey });
    assert.equal(res.status, 200, await res.clone().text());
    res = await call(admin, 'PUT', '/admin/v1/ai/catalog/models/spare-model', {
      deployments: [{ provider: 'spare', model: 'spare-model' }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.ok(!(await res.text()).includes(providerKey));

    const tenantAdmin = (await (
      await call(admin, 'POST', keys, {
        name: 'tenant admin',
        role: 'admin',
        scopes: ['ai:invoke', 'admin:read', 'admin:write'],
      })
    ).json()) as { key: string };
    const mini = (await (
      await call(admin, 'POST', keys, { name: 'mini only', allowed_models: ['gpt-4o-mini'] })
    ).json()) as { key: string };
    assert.equal((await chat(tenantAdmin.key, 'spare-model')).status, 200, 'a tenant key uses the new model');
    assert.equal((await chat(mini.key, 'spare-model')).status, 403, "a key's allowed_models apply to it");
    const listed = (await (await call(tenantAdmin.key, 'GET', '/v1/models')).json()) as { data: { id: string }[] };
    assert.deepEqual(
      listed.data.map((m) => m.id),
      ['gpt-4o-mini', 'spare-model'],
    );

    const refused = await call(tenantAdmin.key, 'PUT', '/admin/v1/ai/catalog/models/mine', {
      deployments: [{ provider: 'mock', model: 'x' }],
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    assert.equal((await call(tenantAdmin.key, 'GET', '/admin/v1/ai/catalog')).status, 403);

    const audit = (await (await call(admin, 'GET', '/admin/v1/audit?action=ai_catalog.providers.update')).json()) as {
      data: { action: string; target_id: string; tenant_id: string | null }[];
    };
    assert.equal(audit.data.length, 1, JSON.stringify(audit));
    assert.equal(audit.data[0].target_id, 'providers/spare');
    assert.equal(audit.data[0].tenant_id, null);
    assert.ok(!JSON.stringify(audit).includes(providerKey), 'the audit log carries the mask');
  });
});
