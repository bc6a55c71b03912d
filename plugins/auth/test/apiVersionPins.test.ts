import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_VERSIONS } from '@aihub/core/plugin-api';
import type { TestGateway } from '@aihub/core/testing';
import { bearer, createEnv, json, newAdminKey, startAuthGateway, type Backend, type Env } from './helpers';

const [OLD, CURRENT] = API_VERSIONS;

/**
 * API version pins with the real auth and tenancy plugins: keys and tenants are pinned to the
 * current version when created; the request's AIHub-Version beats the key's pin, which beats the
 * tenant's; upgrading a tenant is one PATCH of its settings.
 */
for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`API version pins (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenant: string;
    const send = (method: string, path: string, body?: unknown) =>
      gw.fetch(path, {
        method,
        headers: bearer(admin, { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const servedAt = async (key: string, headers: Record<string, string> = {}) => {
      const res = await gw.fetch('/v1/probe/whoami', { headers: bearer(key, headers) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      return res.headers.get('aihub-version');
    };

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin });
      const created = await json(await send('POST', '/admin/v1/tenants', { name: 'Pinned', slug: 'pinned' }));
      tenant = created.id as string;
      assert.equal(
        (created.settings as { apiVersion?: string }).apiVersion,
        CURRENT,
        'a new tenant is pinned to the current version',
      );
    });
    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('a key is pinned to the current version at creation; a key pinned older is served older', async () => {
      const fresh = await json(await send('POST', `/admin/v1/tenants/${tenant}/api-keys`, { name: 'fresh' }));
      assert.equal(fresh.api_version, CURRENT);
      assert.equal(await servedAt(fresh.key as string), CURRENT);

      const old = await json(
        await send('POST', `/admin/v1/tenants/${tenant}/api-keys`, { name: 'old', api_version: OLD }),
      );
      assert.equal(old.api_version, OLD);
      assert.equal(await servedAt(old.key as string), OLD);
      // The request's header wins over the key's pin.
      assert.equal(await servedAt(old.key as string, { 'AIHub-Version': CURRENT }), CURRENT);

      const bad = await send('POST', `/admin/v1/tenants/${tenant}/api-keys`, {
        name: 'bad',
        api_version: '2019-01-01',
      });
      assert.equal(bad.status, 400);
      assert.equal((await json(bad)).param, 'api_version');
    });

    test('a key without a pin follows the tenant’s; one PATCH moves the tenant', async () => {
      const k = await json(await send('POST', `/admin/v1/tenants/${tenant}/api-keys`, { name: 'follows' }));
      const patched = await send('PATCH', `/admin/v1/tenants/${tenant}/api-keys/${k.id as string}`, {
        api_version: null,
      });
      assert.equal(patched.status, 200);
      assert.equal((await json(patched)).api_version, null);

      let res = await send('PATCH', `/admin/v1/tenants/${tenant}/settings`, { apiVersion: OLD });
      assert.equal(res.status, 200, JSON.stringify(await json(res.clone())));
      assert.equal(await servedAt(k.key as string), OLD);

      res = await send('PATCH', `/admin/v1/tenants/${tenant}/settings`, { apiVersion: CURRENT });
      assert.equal(res.status, 200);
      assert.equal(await servedAt(k.key as string), CURRENT);
    });
  });
}
