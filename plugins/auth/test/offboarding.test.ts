import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SCOPES } from '@aihub/core/plugin-api';
import type { TestGateway } from '@aihub/core/testing';
import {
  Browser,
  authRuntimeOf,
  basic,
  bearer,
  createEnv,
  form,
  json,
  newAdminKey,
  pkce,
  sleep,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

/**
 * Issue 13, findings 2 and 14a: credentials follow their owner. A key or token of a user who was
 * deleted, disabled or removed from the tenant is refused; one of a demoted user is capped at the new
 * role; a superadmin's key loses superadmin powers with the flag; a deleted tenant's keys, OAuth
 * clients, refresh tokens and access tokens stop at once. On PostgreSQL + Redis with two gateways
 * (the change made on A, checked on B within 2 s); on SQLite with one.
 */
const BACKENDS: Backend[] = ['postgres', 'sqlite'];
const ISSUER = 'http://aihub.test';
const REDIRECT = 'http://localhost:5555/cb';
const PASSWORD = 'correct horse battery staple';

for (const backend of BACKENDS) {
  describe(`offboarding and cascades (${backend})`, () => {
    let env: Env;
    let a: TestGateway;
    let b: TestGateway;
    const admin = newAdminKey();
    let tenant: string;

    const call = async (gw: TestGateway, method: string, path: string, credential: string, body?: unknown) => {
      const res = await gw.fetch(path, {
        method,
        headers: bearer(credential, body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await json(res) };
    };
    const code = (r: { body: Record<string, unknown> }) =>
      ((r.body.error as { code?: string } | undefined)?.code ?? r.body.code) as string | undefined;

    /** Polls until `probe` answers `status` (every 10 ms, up to 3 s); the elapsed milliseconds. */
    async function timeUntil(probe: () => Promise<{ status: number }>, status: number): Promise<number> {
      const started = performance.now();
      while (performance.now() - started < 3000) {
        if ((await probe()).status === status) return performance.now() - started;
        await sleep(10);
      }
      return Infinity;
    }

    /** A user (through the tenancy service, so invitations do not get in the way) with a membership. */
    async function user(
      email: string,
      role: 'owner' | 'admin' | 'developer' | 'viewer' | null,
      superadmin = false,
    ): Promise<string> {
      const tenancy = authRuntimeOf(a).tenancy();
      const u = await tenancy.createUser({ email, password: PASSWORD, superadmin });
      if (role) await tenancy.addMembership({ tenantId: tenant, userId: u.id, role });
      return u.id;
    }

    /** A key the user created for themselves (what POST /api-keys does with the caller's user id). */
    async function keyOf(
      userId: string,
      role: 'owner' | 'admin' | 'developer' | 'viewer',
      superadmin = false,
      tenantId = tenant,
    ): Promise<string> {
      const created = await authRuntimeOf(a).keys.create({
        tenantId,
        name: `key of ${userId}`,
        userId,
        scopes: [...SCOPES],
        role,
        superadmin,
        createdBy: userId,
      });
      return created.key;
    }

    /** The user's access and refresh tokens through the login page (authorization code + PKCE). */
    async function tokensOf(email: string, clientId: string): Promise<{ access: string; refresh: string }> {
      const browser = new Browser(a.url);
      const { verifier, challenge } = pkce();
      const q = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid ai:invoke admin:read admin:write',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      let r = await browser.follow(`/oauth/authorize?${q}`);
      r = await browser.postForm(`${new URL(r.url).pathname}/login`, { email, password: PASSWORD });
      if (!r.url.startsWith(REDIRECT))
        r = await browser.postForm(`${new URL(r.url).pathname}/confirm`, { decision: 'allow' });
      assert.ok(r.url.startsWith(REDIRECT), `sign-in ended at ${r.url}`);
      const authCode = new URL(r.url).searchParams.get('code')!;
      const res = await a.fetch(
        '/oauth/token',
        form({
          grant_type: 'authorization_code',
          client_id: clientId,
          code: authCode,
          code_verifier: verifier,
          redirect_uri: REDIRECT,
        }),
      );
      const body = await json(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      return { access: body.access_token as string, refresh: body.refresh_token as string };
    }

    let appClient: string;

    before(async () => {
      env = await createEnv(backend);
      const options = { adminKey: admin, auth: { issuer: ISSUER, oauth: { loginFailuresPerIpPerMinute: 0 } } };
      a = await startAuthGateway(env, options);
      b = backend === 'postgres' ? await startAuthGateway(env, options) : a;
      const list = await call(a, 'GET', '/admin/v1/tenants', admin);
      tenant = (list.body.data as { id: string }[])[0].id;
      const client = await call(a, 'POST', `/admin/v1/tenants/${tenant}/oauth-clients`, admin, {
        name: 'web app',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        scopes: ['ai:invoke', 'admin:read', 'admin:write'],
        role: 'owner',
        token_endpoint_auth_method: 'none',
      });
      assert.equal(client.status, 201, JSON.stringify(client.body));
      appClient = client.body.client_id as string;
    });

    after(async () => {
      if (b !== a) await b?.stop();
      await a?.stop();
      await env?.db.drop();
    });

    test('a deleted admin: their key, access token and refresh token are refused on every instance within 2 s', async () => {
      const userId = await user('leaver@acme.test', 'admin');
      const key = await keyOf(userId, 'admin');
      const tokens = await tokensOf('leaver@acme.test', appClient);
      for (const credential of [key, tokens.access]) {
        const me = await call(b, 'GET', '/admin/v1/me', credential);
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.equal((me.body.principal as { role: string }).role, 'admin');
      }
      assert.equal((await call(a, 'DELETE', `/admin/v1/users/${userId}`, admin)).status, 204);
      // On A at once (the delete answered only after this instance's cascade), on B within 2 s.
      assert.equal((await call(a, 'GET', '/admin/v1/me', key)).status, 401);
      assert.equal((await call(a, 'GET', '/admin/v1/me', tokens.access)).status, 401);
      for (const credential of [key, tokens.access]) {
        const ms = await timeUntil(() => call(b, 'GET', '/admin/v1/me', credential), 401);
        assert.ok(ms < 2000, `refused on B after ${ms.toFixed(0)} ms`);
      }
      const byToken = await call(b, 'GET', '/v1/probe/whoami', tokens.access);
      assert.equal(code(byToken), 'credential_owner_removed');
      const byKey = await call(b, 'POST', `/admin/v1/tenants/${tenant}/api-keys`, key, {
        name: 'backdoor',
        role: 'admin',
        scopes: ['admin:write'],
      });
      assert.equal(byKey.status, 401);
      assert.ok(['api_key_revoked', 'credential_owner_removed'].includes(code(byKey)!), JSON.stringify(byKey.body));
      const refreshed = await b.fetch(
        '/oauth/token',
        form({ grant_type: 'refresh_token', client_id: appClient, refresh_token: tokens.refresh }),
      );
      assert.equal(refreshed.status, 400);
      assert.equal((await json(refreshed)).error, 'invalid_grant');
    });

    test('a demoted member: their admin key is capped at the new role; removed from the tenant, it is refused', async () => {
      const userId = await user('demoted@acme.test', 'admin');
      const key = await keyOf(userId, 'admin');
      const tokens = await tokensOf('demoted@acme.test', appClient);
      assert.equal((await call(b, 'GET', `/admin/v1/tenants/${tenant}/api-keys`, key)).status, 200);
      const demote = await call(a, 'PATCH', `/admin/v1/tenants/${tenant}/members/${userId}`, admin, { role: 'viewer' });
      assert.equal(demote.status, 200, JSON.stringify(demote.body));
      const ms = await timeUntil(() => call(b, 'GET', `/admin/v1/tenants/${tenant}/api-keys`, key), 403);
      assert.ok(ms < 2000, `capped on B after ${ms.toFixed(0)} ms`);
      for (const credential of [key, tokens.access]) {
        const me = await call(b, 'GET', '/admin/v1/me', credential);
        assert.equal((me.body.principal as { role: string }).role, 'viewer', 'the key never exceeds its owner');
        const promote = await call(b, 'PATCH', `/admin/v1/tenants/${tenant}/members/${userId}`, credential, {
          role: 'owner',
        });
        assert.equal(promote.status, 403, 'a capped credential cannot promote anyone');
      }
      assert.equal((await call(a, 'DELETE', `/admin/v1/tenants/${tenant}/members/${userId}`, admin)).status, 204);
      const gone = await timeUntil(() => call(b, 'GET', '/v1/probe/whoami', key), 401);
      assert.ok(gone < 2000, `refused on B after ${gone.toFixed(0)} ms`);
      assert.equal(code(await call(b, 'GET', '/v1/probe/whoami', key)), 'credential_owner_not_member');
      assert.equal(code(await call(b, 'GET', '/v1/probe/whoami', tokens.access)), 'credential_owner_not_member');
    });

    test("a superadmin's key loses superadmin powers with the flag, and everything when the user is disabled", async () => {
      const userId = await user('root@acme.test', 'developer', true);
      const key = await keyOf(userId, 'owner', true);
      assert.equal((await call(b, 'GET', '/admin/v1/users', key)).status, 200, 'platform route');
      assert.equal((await call(a, 'PATCH', `/admin/v1/users/${userId}`, admin, { superadmin: false })).status, 200);
      const ms = await timeUntil(() => call(b, 'GET', '/admin/v1/users', key), 403);
      assert.ok(ms < 2000, `demoted on B after ${ms.toFixed(0)} ms`);
      const me = await call(b, 'GET', '/admin/v1/me', key);
      assert.deepEqual(
        [(me.body.principal as { role: string }).role, (me.body.principal as { superadmin: boolean }).superadmin],
        ['developer', false],
      );
      assert.equal((await call(a, 'PATCH', `/admin/v1/users/${userId}`, admin, { status: 'disabled' })).status, 200);
      const off = await timeUntil(() => call(b, 'GET', '/v1/probe/whoami', key), 401);
      assert.ok(off < 2000, `refused on B after ${off.toFixed(0)} ms`);
      assert.equal(code(await call(b, 'GET', '/v1/probe/whoami', key)), 'credential_owner_disabled');
      // Re-enabled: the key works again, still without superadmin powers.
      assert.equal((await call(a, 'PATCH', `/admin/v1/users/${userId}`, admin, { status: 'active' })).status, 200);
      assert.ok((await timeUntil(() => call(b, 'GET', '/v1/probe/whoami', key), 200)) < 2000);
      assert.equal((await call(b, 'GET', '/admin/v1/users', key)).status, 403);
    });

    test('a deleted tenant: its OAuth clients get no tokens, its keys and outstanding access tokens are refused everywhere', async () => {
      const created = await call(a, 'POST', '/admin/v1/tenants', admin, { name: 'Doomed', slug: `doomed-${backend}` });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const doomed = created.body.id as string;
      const client = await call(a, 'POST', `/admin/v1/tenants/${doomed}/oauth-clients`, admin, {
        name: 'batch',
        grant_types: ['client_credentials'],
        scopes: ['ai:invoke'],
      });
      const secret = client.body.client_secret as string;
      const clientId = client.body.client_id as string;
      const getToken = () =>
        b.fetch('/oauth/token', form({ grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) }));
      const issued = await getToken();
      assert.equal(issued.status, 200);
      const access = (await json(issued)).access_token as string;
      const key = (await call(a, 'POST', `/admin/v1/tenants/${doomed}/api-keys`, admin, { name: 'doomed key' })).body
        .key as string;
      assert.equal((await call(b, 'GET', '/v1/probe/whoami', access)).status, 200);
      assert.equal((await call(b, 'GET', '/v1/probe/whoami', key)).status, 200);

      assert.equal((await call(a, 'DELETE', `/admin/v1/tenants/${doomed}`, admin)).status, 204);
      const t = performance.now();
      const noToken = await getToken();
      assert.equal(noToken.status, 401, 'the client is gone');
      assert.equal((await json(noToken)).error, 'invalid_client');
      for (const credential of [access, key]) {
        const ms = await timeUntil(() => call(b, 'GET', '/v1/probe/whoami', credential), 401);
        assert.ok(ms < 2000, `refused on B after ${ms.toFixed(0)} ms`);
      }
      assert.ok(performance.now() - t < 2500);
      assert.equal(code(await call(b, 'GET', '/v1/probe/whoami', access)), 'token_revoked');
      assert.equal(code(await call(b, 'GET', '/v1/probe/whoami', key)), 'api_key_revoked');
    });
  });
}
