import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import {
  basic,
  bearer,
  createEnv,
  decodeJwt,
  form,
  json,
  newAdminKey,
  rows,
  sleep,
  startAuthGateway,
  type Env,
} from './helpers';

/**
 * Two gateway instances on one PostgreSQL database and one Redis: what one instance revokes or
 * rotates, the other must honour within a second.
 */
describe('two instances sharing PostgreSQL + Redis', () => {
  let env: Env;
  let a: TestGateway;
  let b: TestGateway;
  const admin = newAdminKey();
  let tenant: string;

  const post = async (gw: TestGateway, path: string, body: unknown) => {
    const res = await gw.fetch(path, {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await json(res) };
  };
  const whoami = (gw: TestGateway, credential: string) => gw.fetch('/v1/probe/whoami', { headers: bearer(credential) });

  /** Milliseconds until `gw` answers `status` for the credential (polling every 10 ms, up to 3 s). */
  async function timeUntil(gw: TestGateway, credential: string, status: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < 3000) {
      if ((await whoami(gw, credential)).status === status) return performance.now() - started;
      await sleep(10);
    }
    return Infinity;
  }

  before(async () => {
    env = await createEnv('postgres');
    const options = { adminKey: admin, auth: { issuer: 'http://aihub.test', oauth: { keyRefreshMinIntervalMs: 200 } } };
    // Started together on an empty database: they race to bootstrap and to create the first signing key.
    [a, b] = await Promise.all([startAuthGateway(env, options), startAuthGateway(env, options)]);
    const list = await json(await a.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
    tenant = (list.data as { id: string }[])[0].id;
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await env?.db.drop();
  });

  test('a concurrent first start bootstraps once and creates one signing key', async () => {
    assert.equal((await rows(env, 'SELECT id FROM tenancy_users')).length, 1);
    assert.equal((await rows(env, 'SELECT id FROM tenancy_tenants')).length, 1);
    assert.equal((await rows(env, 'SELECT id FROM auth_api_keys')).length, 1);
    assert.equal((await rows(env, "SELECT kid FROM auth_signing_keys WHERE status = 'active'")).length, 1);
    assert.equal((await whoami(a, admin)).status, 200);
    assert.equal((await whoami(b, admin)).status, 200);
  });

  test('an API key revoked on A is refused by B within a second', async () => {
    const created = await post(a, `/admin/v1/tenants/${tenant}/api-keys`, { name: 'shared' });
    const key = created.body.key as string;
    for (let i = 0; i < 3; i++) assert.equal((await whoami(b, key)).status, 200, 'B has the key cached');
    const res = await a.fetch(`/admin/v1/tenants/${tenant}/api-keys/${created.body.id}`, {
      method: 'DELETE',
      headers: bearer(admin),
    });
    assert.equal(res.status, 200);
    const ms = await timeUntil(b, key, 401);
    assert.ok(ms < 1000, `B refused the revoked key after ${ms.toFixed(0)} ms`);
    assert.equal(((await json(await whoami(b, key))).error as { code: string }).code, 'api_key_revoked');
  });

  test('a scope change on A applies on B within a second', async () => {
    const created = await post(a, `/admin/v1/tenants/${tenant}/api-keys`, { name: 'narrowing' });
    const key = created.body.key as string;
    assert.equal((await whoami(b, key)).status, 200);
    const res = await a.fetch(`/admin/v1/tenants/${tenant}/api-keys/${created.body.id}`, {
      method: 'PATCH',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ scopes: ['events:write'] }),
    });
    assert.equal(res.status, 200);
    const ms = await timeUntil(b, key, 403);
    assert.ok(ms < 1000, `B applied the change after ${ms.toFixed(0)} ms`);
  });

  test('a JWT revoked on A (RFC 7009) is refused by B within a second', async () => {
    const client = (
      await post(a, `/admin/v1/tenants/${tenant}/oauth-clients`, { name: 'svc', grant_types: ['client_credentials'] })
    ).body as { client_id: string; client_secret: string };
    const tok = await json(
      await b.fetch(
        '/oauth/token',
        form({ grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret) }),
      ),
    );
    const access = tok.access_token as string;
    assert.equal((await whoami(b, access)).status, 200, 'B has the token cached');
    assert.equal((await whoami(a, access)).status, 200);
    const res = await a.fetch(
      '/oauth/revoke',
      form({ token: access }, { authorization: basic(client.client_id, client.client_secret) }),
    );
    assert.equal(res.status, 200);
    const ms = await timeUntil(b, access, 401);
    assert.ok(ms < 1000, `B refused the revoked token after ${ms.toFixed(0)} ms`);
  });

  test('a signing-key rotation on A: B verifies the new key and publishes it', async () => {
    const client = (
      await post(a, `/admin/v1/tenants/${tenant}/oauth-clients`, { name: 'svc2', grant_types: ['client_credentials'] })
    ).body as { client_id: string; client_secret: string };
    const issue = async (gw: TestGateway) =>
      (
        await json(
          await gw.fetch(
            '/oauth/token',
            form(
              { grant_type: 'client_credentials' },
              { authorization: basic(client.client_id, client.client_secret) },
            ),
          ),
        )
      ).access_token as string;
    const oldFromB = await issue(b);
    const rotated = await post(a, '/admin/v1/auth/signing-keys/rotate', { grace_seconds: 60 });
    assert.equal(rotated.status, 201);
    const newKid = rotated.body.kid as string;
    const fromA = await issue(a);
    assert.equal(decodeJwt(fromA).header.kid, newKid);
    assert.equal((await whoami(b, fromA)).status, 200, 'B verifies tokens signed with the new key');
    let kids: string[] = [];
    const started = performance.now();
    while (performance.now() - started < 2000 && !kids.includes(newKid)) {
      kids = ((await json(await b.fetch('/oauth/jwks'))).keys as { kid: string }[]).map((k) => k.kid);
      if (!kids.includes(newKid)) await sleep(20);
    }
    assert.ok(kids.includes(newKid), 'B publishes the new key');
    assert.equal(decodeJwt(await issue(b)).header.kid, newKid, 'B signs with the new key');
    assert.equal((await whoami(a, oldFromB)).status, 200, 'the previous key verifies during its grace period');
  });
});
