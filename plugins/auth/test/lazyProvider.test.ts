import assert from 'node:assert/strict';
import nodeModule from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import { basic, bearer, createEnv, decodeJwt, form, json, newAdminKey, startAuthGateway, type Env } from './helpers';

/**
 * oidc-provider is imported at the authorization server's first request, not at start (issue 20:
 * idle RSS). What must hold: nothing of it loads while the gateway only starts and serves admin
 * calls, and the provider the first request builds signs and publishes the key set current then
 * (rotations before it, and one racing it, included).
 */

// Module URLs this process loads, where Node has synchronous module hooks (22.15+ / 23.5+); on older
// runtimes the load checks are not registered (the behaviour checks are).
const loadedUrls: string[] = [];
const registerHooks = (
  nodeModule as {
    registerHooks?: (hooks: {
      load: (url: string, context: unknown, next: (url: string, context: unknown) => unknown) => unknown;
    }) => unknown;
  }
).registerHooks;
registerHooks?.({
  load(url, context, next) {
    loadedUrls.push(url);
    return next(url, context);
  },
});
const oidcProviderLoaded = () => loadedUrls.some((url) => url.includes('/node_modules/oidc-provider/'));

describe('authorization server built at its first request', () => {
  let env: Env;
  let gw: TestGateway;
  const admin = newAdminKey();

  const rotate = async (): Promise<string> => {
    const res = await gw.fetch('/admin/v1/auth/signing-keys/rotate', {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ grace_seconds: 60 }),
    });
    const body = await json(res);
    assert.equal(res.status, 201, JSON.stringify(body));
    return body.kid as string;
  };
  const kids = async (): Promise<string[]> => {
    const res = await gw.fetch('/oauth/jwks');
    assert.equal(res.status, 200);
    return ((await json(res)).keys as { kid: string }[]).map((k) => k.kid);
  };

  before(async () => {
    env = await createEnv('sqlite');
    gw = await startAuthGateway(env, { adminKey: admin, auth: { issuer: 'http://aihub.test' } });
  });
  after(async () => {
    await gw?.stop();
    await env?.db.drop();
  });

  if (registerHooks)
    test('start and admin calls do not import oidc-provider', async () => {
      assert.ok(loadedUrls.length > 0, 'the load hook sees this process load modules');
      const res = await gw.fetch('/admin/v1/auth/signing-keys', { headers: bearer(admin) });
      assert.equal(res.status, 200);
      assert.equal(oidcProviderLoaded(), false);
    });

  test('the first requests, concurrent, are all answered by one provider with the keys rotated before it', async () => {
    const rotated = await rotate();
    const [discovery, first, second] = await Promise.all([
      gw.fetch('/.well-known/openid-configuration'),
      kids(),
      kids(),
    ]);
    assert.equal(discovery.status, 200);
    assert.equal((await json(discovery)).issuer, 'http://aihub.test');
    assert.equal(first[0], rotated, 'the active key first');
    assert.deepEqual(second, first);
    if (registerHooks) assert.equal(oidcProviderLoaded(), true);
  });

  test('a rotation racing a request is published and signs afterwards', async () => {
    const [rotated] = await Promise.all([rotate(), kids()]);
    assert.equal((await kids())[0], rotated);
    // A client_credentials token from the rebuilt provider carries the new key id.
    const tenants = await json(await gw.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
    const tenantId = (tenants.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
    const created = await gw.fetch(`/admin/v1/tenants/${tenantId}/oauth-clients`, {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'lazy', grant_types: ['client_credentials'], scopes: ['ai:invoke'] }),
    });
    const client = await json(created);
    assert.equal(created.status, 201, JSON.stringify(client));
    const res = await gw.fetch(
      '/oauth/token',
      form(
        { grant_type: 'client_credentials' },
        { authorization: basic(client.client_id as string, client.client_secret as string) },
      ),
    );
    const token = await json(res);
    assert.equal(res.status, 200, JSON.stringify(token));
    assert.equal(decodeJwt(token.access_token as string).header.kid, rotated);
  });
});
