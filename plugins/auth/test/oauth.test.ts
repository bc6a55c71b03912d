import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import type { TestGateway } from '@aihub/core/testing';
import {
  Browser,
  basic,
  bearer,
  createEnv,
  decodeJwt,
  forge,
  form,
  json,
  newAdminKey,
  pkce,
  rows,
  signingKey,
  sleep,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

const jose = require('jose') as typeof Jose;
const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const ISSUER = 'http://aihub.test';
const REDIRECT = 'http://localhost:5555/cb';
const PASSWORD = 'correct horse battery staple';

for (const backend of BACKENDS) {
  describe(`OAuth 2.0 / OIDC and JWT access tokens (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenantA: string;
    let tenantB: string;
    let cc: { client_id: string; client_secret: string };
    let ccB: { client_id: string; client_secret: string };

    const adminPost = async (path: string, body: unknown) => {
      const res = await gw.fetch(path, {
        method: 'POST',
        headers: bearer(admin, { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
      const out = await json(res);
      return { status: res.status, body: out };
    };
    const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      gw.fetch('/oauth/token', form(fields, headers));
    const whoami = (accessToken: string) => gw.fetch('/v1/probe/whoami', { headers: bearer(accessToken) });

    async function ccToken(client: { client_id: string; client_secret: string }, scope?: string): Promise<string> {
      const res = await token(
        { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
        { authorization: basic(client.client_id, client.client_secret) },
      );
      const body = await json(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      return body.access_token as string;
    }

    async function createUser(email: string, tenantId: string | null, role = 'developer'): Promise<void> {
      const u = await adminPost('/admin/v1/users', { email, password: PASSWORD });
      assert.equal(u.status, 201, JSON.stringify(u.body));
      if (tenantId)
        assert.equal((await adminPost(`/admin/v1/tenants/${tenantId}/members`, { email, role })).status, 201);
    }

    async function codeClient(
      tenantId: string,
      extra: Record<string, unknown> = {},
    ): Promise<{ client_id: string; client_secret: string | null }> {
      const c = await adminPost(`/admin/v1/tenants/${tenantId}/oauth-clients`, {
        name: 'web app',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        scopes: ['ai:invoke', 'admin:read'],
        token_endpoint_auth_method: 'none',
        ...extra,
      });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      return c.body as { client_id: string; client_secret: string | null };
    }

    function authorizeUrl(clientId: string, challenge: string | undefined, extra: Record<string, string> = {}): string {
      const q = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid ai:invoke admin:read',
        state: 'st4te',
        ...extra,
      });
      if (challenge) {
        q.set('code_challenge', challenge);
        q.set('code_challenge_method', 'S256');
      }
      return `/oauth/authorize?${q}`;
    }

    /** Signs in through the login page (and consent page when shown); the code on the redirect URI. */
    async function signIn(
      browser: Browser,
      clientId: string,
      email: string,
      challenge: string,
      extra: Record<string, string> = {},
    ): Promise<URL> {
      let r = await browser.follow(authorizeUrl(clientId, challenge, extra));
      if (r.url.startsWith(REDIRECT)) return new URL(r.url);
      assert.equal(r.res.status, 200, `login page: ${r.url}`);
      r = await browser.postForm(`${new URL(r.url).pathname}/login`, { email, password: PASSWORD });
      if (!r.url.startsWith(REDIRECT) && r.res.status === 200 && (await r.res.clone().text()).includes('Authorize')) {
        r = await browser.postForm(`${new URL(r.url).pathname}/confirm`, { decision: 'allow' });
      }
      assert.ok(
        r.url.startsWith(REDIRECT),
        `ended at ${r.url} (${r.res.status}) ${r.res.status === 200 ? await r.res.text() : ''}`,
      );
      return new URL(r.url);
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, {
        adminKey: admin,
        auth: {
          issuer: ISSUER,
          oauth: {
            keyRefreshMinIntervalMs: 200,
            loginFailuresPerIpPerMinute: 8,
            loginLockout: { threshold: 3, baseMs: 60_000, maxMs: 600_000 },
          },
        },
        tenancy: { lockout: { threshold: 3, baseMs: 60_000, maxMs: 600_000 } },
        // Behind a proxy: the throttle test speaks for other client addresses with X-Forwarded-For.
        server: { trustProxy: true },
      });
      const list = await json(await gw.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
      tenantA = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      tenantB = (await adminPost('/admin/v1/tenants', { name: 'B', slug: 'tenant-b' })).body.id as string;
      assert.ok(tenantB);
      cc = (
        await adminPost(`/admin/v1/tenants/${tenantA}/oauth-clients`, {
          name: 'svc',
          grant_types: ['client_credentials'],
          scopes: ['ai:invoke', 'events:write'],
        })
      ).body as typeof cc;
      ccB = (
        await adminPost(`/admin/v1/tenants/${tenantB}/oauth-clients`, {
          name: 'svc-b',
          grant_types: ['client_credentials'],
          scopes: ['ai:invoke'],
        })
      ).body as typeof ccB;
      await createUser('alice@a.example', tenantA, 'admin');
      await createUser('bob@b.example', tenantB, 'owner');
      await createUser('victim@a.example', tenantA, 'developer');
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('discovery documents and JWKS (public keys only)', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const res = await gw.fetch(path);
        assert.equal(res.status, 200, path);
        const doc = await json(res);
        assert.equal(doc.issuer, ISSUER);
        assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
        assert.ok((doc.token_endpoint as string).endsWith('/oauth/token'));
        assert.ok((doc.introspection_endpoint as string).endsWith('/oauth/introspect'));
        assert.ok((doc.revocation_endpoint as string).endsWith('/oauth/revoke'));
        assert.ok((doc.jwks_uri as string).endsWith('/oauth/jwks'));
        assert.deepEqual([...(doc.grant_types_supported as string[])].sort(), [
          'authorization_code',
          'client_credentials',
          'refresh_token',
        ]);
        assert.deepEqual(doc.response_types_supported, ['code']);
      }
      const jwks = await json(await gw.fetch('/oauth/jwks'));
      const keys = jwks.keys as Record<string, unknown>[];
      assert.ok(keys.length >= 1);
      for (const k of keys) {
        for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined, `JWKS leaks ${priv}`);
        assert.equal(k.use, 'sig');
      }
      const stored = await rows(env, 'SELECT private_jwk FROM auth_signing_keys');
      for (const r of stored)
        assert.ok(
          String(r.private_jwk).startsWith('v1.') && !String(r.private_jwk).includes('"d"'),
          'private keys are stored encrypted',
        );
    });

    test('client_credentials with a real HTTP client: token, claims, hot path, introspection, revocation', async () => {
      const stored = await rows(env, `SELECT * FROM auth_oauth_clients WHERE client_id = '${cc.client_id}'`);
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(cc.client_secret), 'the client secret is stored hashed');
      assert.match(cc.client_secret, /^ahcs_[0-9A-Za-z]{43}$/);

      const res = await token(
        { grant_type: 'client_credentials', scope: 'ai:invoke' },
        { authorization: basic(cc.client_id, cc.client_secret) },
      );
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = await json(res);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, 'ai:invoke');
      assert.equal(body.expires_in, 900);
      const access = body.access_token as string;
      const { header, payload } = decodeJwt(access);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.alg, 'RS256');
      assert.equal(payload.iss, ISSUER);
      assert.equal(payload.aud, ISSUER);
      assert.equal(payload.sub, cc.client_id);
      assert.equal(payload.client_id, cc.client_id);
      assert.equal(payload.tenant_id, tenantA);
      assert.equal(payload.scope, 'ai:invoke');
      assert.equal(payload.role, 'developer');

      const who = await json(await whoami(access));
      const p = who.principal as Record<string, unknown>;
      assert.equal(p.kind, 'oauth_token');
      assert.equal(p.clientId, cc.client_id);
      assert.equal(p.tenantId, tenantA);
      assert.deepEqual(p.scopes, ['ai:invoke']);
      assert.equal(who.tenant, tenantA);

      // client_secret_post works too; no scope = the client's registered scopes; a scope it lacks is not granted.
      const post = await json(
        await token({ grant_type: 'client_credentials', client_id: cc.client_id, client_secret: cc.client_secret }),
      );
      assert.equal(post.scope, 'ai:invoke events:write');
      const narrowed = await json(
        await token(
          { grant_type: 'client_credentials', scope: 'ai:invoke admin:write' },
          { authorization: basic(cc.client_id, cc.client_secret) },
        ),
      );
      assert.equal(decodeJwt(narrowed.access_token as string).payload.scope, 'ai:invoke');
      const adminTry = await gw.fetch(`/admin/v1/tenants/${tenantA}/api-keys`, { headers: bearer(access) });
      assert.equal(adminTry.status, 403);

      const wrong = await token(
        { grant_type: 'client_credentials' },
        { authorization: basic(cc.client_id, `${cc.client_secret}x`) },
      );
      assert.equal(wrong.status, 401);
      assert.equal((await json(wrong)).error, 'invalid_client');
      const other = await token(
        { grant_type: 'client_credentials' },
        { authorization: basic(cc.client_id, ccB.client_secret) },
      );
      assert.equal(other.status, 401, "another client's secret");

      const introspect = (tok: string, client = cc) =>
        gw.fetch(
          '/oauth/introspect',
          form({ token: tok }, { authorization: basic(client.client_id, client.client_secret) }),
        );
      const active = await json(await introspect(access));
      assert.equal(active.active, true);
      assert.equal(active.client_id, cc.client_id);
      assert.equal(active.tenant_id, tenantA);
      assert.equal(active.scope, 'ai:invoke');
      assert.deepEqual(
        await json(await introspect(access, ccB)),
        { active: false },
        'another tenant cannot introspect it',
      );
      assert.deepEqual(await json(await introspect('garbage')), { active: false });
      const unauth = await gw.fetch('/oauth/introspect', form({ token: access }));
      assert.ok([400, 401].includes(unauth.status), 'introspection needs client authentication');
      assert.ok(['invalid_request', 'invalid_client'].includes((await json(unauth)).error as string));

      const notMine = await gw.fetch(
        '/oauth/revoke',
        form({ token: access }, { authorization: basic(ccB.client_id, ccB.client_secret) }),
      );
      assert.equal(notMine.status, 400, 'another client cannot revoke it');
      assert.equal((await whoami(access)).status, 200, 'still valid');
      const revoked = await gw.fetch(
        '/oauth/revoke',
        form(
          { token: access, token_type_hint: 'access_token' },
          { authorization: basic(cc.client_id, cc.client_secret) },
        ),
      );
      assert.equal(revoked.status, 200);
      const after = await whoami(access);
      assert.equal(after.status, 401);
      assert.equal(((await json(after)).error as { code: string }).code, 'token_revoked');
      assert.deepEqual(await json(await introspect(access)), { active: false });
      const again = await gw.fetch(
        '/oauth/revoke',
        form({ token: access }, { authorization: basic(cc.client_id, cc.client_secret) }),
      );
      assert.equal(again.status, 200, 'revocation is idempotent');
      assert.equal((await whoami(await ccToken(cc))).status, 200, 'new tokens still work');
    });

    test('forged and broken JWTs get 401 and nothing crashes', async () => {
      const key = await signingKey(env);
      const valid = await forge(key, { claims: { tenant_id: tenantA, role: 'developer' } });
      assert.equal((await whoami(valid)).status, 200, 'control: a correctly signed token passes');
      const [h, p, s] = valid.split('.');
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const payload = decodeJwt(valid).payload;
      const hmacConfusion = await new jose.SignJWT(payload)
        .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
        .sign(Buffer.from(JSON.stringify(key.publicJwk)));
      const foreign = await jose.generateKeyPair('RS256');
      const foreignToken = await new jose.SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
        .sign(foreign.privateKey);
      const cases: Record<string, string> = {
        'alg none': `${enc({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${p}.`,
        'alg none with signature': `${enc({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${p}.${s}`,
        'wrong issuer': await forge(key, { claims: { iss: 'https://evil.example' } }),
        'wrong audience': await forge(key, { claims: { aud: 'https://other-api.example' } }),
        expired: await forge(key, {
          claims: { exp: Math.floor(Date.now() / 1000) - 60, iat: Math.floor(Date.now() / 1000) - 120 },
        }),
        'not yet valid': await forge(key, { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } }),
        'ID token type': await forge(key, { header: { typ: 'JWT' } }),
        'tampered payload': `${h}.${enc({ ...payload, scope: 'ai:invoke admin:write', superadmin: true })}.${s}`,
        'tampered signature': `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`,
        'foreign key, our kid': foreignToken,
        'HS256 with the public key': hmacConfusion,
        'unknown kid': await forge({ ...key, kid: 'not-a-kid' }),
        'no kid': await forge(key, { header: { kid: undefined } }),
        'missing jti': await forge(key, { claims: { jti: undefined } }),
        'garbage header': `${enc('x')}.${p}.${s}`,
        'not base64': '@@@.###.$$$',
      };
      for (const [what, tok] of Object.entries(cases)) {
        const res = await whoami(tok);
        const body = await json(res);
        assert.equal(res.status, 401, `${what}: ${res.status} ${JSON.stringify(body)}`);
        assert.equal((body.error as { type: string }).type, 'authentication_error', what);
      }
      assert.equal(((await json(await whoami(cases.expired))).error as { code: string }).code, 'token_expired');
      assert.equal((await whoami(valid)).status, 200, 'the gateway still serves');
      // A tampered payload must not hit the cache entry of the valid token it was cut from.
      assert.equal((await whoami(cases['tampered payload'])).status, 401);
    });

    test('signing-key rotation: grace period, then the old key stops verifying', async () => {
      const before = await signingKey(env);
      const oldToken = await ccToken(cc);
      assert.equal(decodeJwt(oldToken).header.kid, before.kid);
      const forgedOld = await forge(before);
      const denied = await gw.fetch('/admin/v1/auth/signing-keys/rotate', {
        method: 'POST',
        headers: bearer(
          (
            await adminPost(`/admin/v1/tenants/${tenantA}/api-keys`, {
              name: 'owner',
              role: 'owner',
              scopes: ['admin:read', 'admin:write'],
            })
          ).body.key as string,
          { 'content-type': 'application/json' },
        ),
        body: '{}',
      });
      assert.equal(denied.status, 403, 'only a superadmin rotates');
      const rotated = await adminPost('/admin/v1/auth/signing-keys/rotate', { grace_seconds: 2 });
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      assert.notEqual(rotated.body.kid, before.kid);
      const kids = ((await json(await gw.fetch('/oauth/jwks'))).keys as { kid: string }[]).map((k) => k.kid);
      assert.ok(
        kids.includes(before.kid) && kids.includes(rotated.body.kid as string),
        'both keys are published during the grace period',
      );
      const newToken = await ccToken(cc);
      assert.equal(decodeJwt(newToken).header.kid, rotated.body.kid);
      assert.equal((await whoami(newToken)).status, 200);
      assert.equal((await whoami(oldToken)).status, 200, 'old-key tokens verify during the grace period');
      await sleep(2300);
      for (const tok of [oldToken, forgedOld]) {
        const res = await whoami(tok);
        assert.equal(res.status, 401, 'signed by a rotated-out key after its grace');
        assert.equal(((await json(res)).error as { code: string }).code, 'invalid_token');
      }
      assert.equal((await whoami(newToken)).status, 200);
      const kidsAfter = ((await json(await gw.fetch('/oauth/jwks'))).keys as { kid: string }[]).map((k) => k.kid);
      assert.ok(!kidsAfter.includes(before.kid), 'the retired key left the JWKS');
      const list = await json(await gw.fetch('/admin/v1/auth/signing-keys', { headers: bearer(admin) }));
      assert.equal(
        (list.data as { kid: string; status: string }[]).find((k) => k.kid === before.kid)?.status,
        'retired',
      );
      assert.ok(!JSON.stringify(list).includes('private'), 'the admin API shows no key material');
    });

    test('authorization code + PKCE: PKCE missing or plain, redirect_uri mismatch, wrong verifier', async () => {
      const client = await codeClient(tenantA);
      const browser = new Browser(gw.url);
      const noPkce = await browser.follow(authorizeUrl(client.client_id, undefined));
      assert.ok(noPkce.url.startsWith(REDIRECT), noPkce.url);
      const e1 = new URL(noPkce.url).searchParams;
      assert.equal(e1.get('error'), 'invalid_request');
      assert.match(e1.get('error_description') ?? '', /PKCE|code_challenge/i);
      assert.equal(e1.get('code'), null);

      const { challenge } = pkce();
      const plain = await browser.follow(
        authorizeUrl(client.client_id, undefined, { code_challenge: challenge, code_challenge_method: 'plain' }),
      );
      const e2 = new URL(plain.url).searchParams;
      assert.equal(e2.get('error'), 'invalid_request', plain.url);
      assert.equal(e2.get('code'), null);

      for (const redirect of [
        'http://localhost:5555/cb/../evil',
        'https://evil.example/cb',
        'http://localhost:5555/cb?x=1',
        'http://localhost:5555/CB',
      ]) {
        const res = await browser.request(authorizeUrl(client.client_id, challenge, { redirect_uri: redirect }));
        assert.equal(res.status, 400, `${redirect} → ${res.status}`);
        assert.equal(res.headers.get('location'), null, 'never redirects to an unregistered URI');
        assert.match(await res.text(), /redirect_uri/);
      }
      const omitted = new URLSearchParams({
        client_id: client.client_id,
        response_type: 'code',
        scope: 'openid ai:invoke',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      assert.equal((await browser.request(`/oauth/authorize?${omitted}`)).status, 400, 'redirect_uri is required');

      const pair = pkce();
      const cb = await signIn(new Browser(gw.url), client.client_id, 'alice@a.example', pair.challenge);
      const code = cb.searchParams.get('code')!;
      assert.equal(cb.searchParams.get('state'), 'st4te');
      assert.equal(cb.searchParams.get('iss'), ISSUER);
      const bad = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkce().verifier,
        client_id: client.client_id,
      });
      assert.equal(bad.status, 400);
      assert.equal((await json(bad)).error, 'invalid_grant');
      const noVerifier = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: client.client_id,
      });
      assert.equal(noVerifier.status, 400);
    });

    test('authorization code flow: user token with tenant and capped role; refresh rotation; reuse revokes the family', async () => {
      const client = await codeClient(tenantA);
      const pair = pkce();
      const cb = await signIn(new Browser(gw.url), client.client_id, 'alice@a.example', pair.challenge);
      const exchange = {
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: pair.verifier,
        client_id: client.client_id,
      };
      const res = await token(exchange);
      const tokens = await json(res);
      assert.equal(res.status, 200, JSON.stringify(tokens));
      assert.ok(tokens.refresh_token && tokens.id_token && tokens.access_token);
      const claims = decodeJwt(tokens.access_token as string).payload;
      const users = await rows(env, `SELECT id FROM tenancy_users WHERE email = 'alice@a.example'`);
      assert.equal(claims.sub, users[0].id);
      assert.equal(claims.tenant_id, tenantA);
      assert.equal(
        claims.role,
        'developer',
        'a third-party client caps the role (alice is admin, the client developer)',
      );
      assert.deepEqual(String(claims.scope).split(' ').sort(), ['admin:read', 'ai:invoke']);
      const idClaims = decodeJwt(tokens.id_token as string).payload;
      assert.equal(idClaims.aud, client.client_id);
      assert.equal((await whoami(tokens.id_token as string)).status, 401, 'an ID token is not an access token');
      const who = (await json(await whoami(tokens.access_token as string))).principal as Record<string, unknown>;
      assert.equal(who.userId, users[0].id);
      assert.equal(
        (await gw.fetch(`/admin/v1/tenants/${tenantA}/api-keys`, { headers: bearer(tokens.access_token as string) }))
          .status,
        200,
        'admin:read + developer may list keys',
      );
      assert.equal(
        (await gw.fetch(`/admin/v1/tenants/${tenantB}/api-keys`, { headers: bearer(tokens.access_token as string) }))
          .status,
        404,
        'not another tenant',
      );

      const r1 = await json(
        await token({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token as string,
          client_id: client.client_id,
        }),
      );
      assert.ok(
        r1.refresh_token && r1.refresh_token !== tokens.refresh_token,
        `refresh tokens rotate: ${JSON.stringify(r1)}`,
      );
      assert.equal((await whoami(r1.access_token as string)).status, 200);
      const reuse = await token({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token as string,
        client_id: client.client_id,
      });
      assert.equal(reuse.status, 400);
      assert.equal((await json(reuse)).error, 'invalid_grant');
      const family = await token({
        grant_type: 'refresh_token',
        refresh_token: r1.refresh_token as string,
        client_id: client.client_id,
      });
      assert.equal(family.status, 400, 'the newest refresh token of the family is revoked too');
      const at = await whoami(r1.access_token as string);
      assert.equal(at.status, 401, 'and so are its access tokens');
      assert.equal(((await json(at)).error as { code: string }).code, 'token_revoked');

      // A code works once; replaying it revokes what it produced.
      const pair2 = pkce();
      const cb2 = await signIn(new Browser(gw.url), client.client_id, 'alice@a.example', pair2.challenge);
      const exchange2 = {
        grant_type: 'authorization_code',
        code: cb2.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: pair2.verifier,
        client_id: client.client_id,
      };
      const first = await json(await token(exchange2));
      assert.equal((await whoami(first.access_token as string)).status, 200);
      const replay = await token(exchange2);
      assert.equal(replay.status, 400);
      assert.equal((await json(replay)).error, 'invalid_grant');
      assert.equal((await whoami(first.access_token as string)).status, 401, 'tokens of a replayed code are revoked');
      assert.equal(
        (
          await token({
            grant_type: 'refresh_token',
            refresh_token: first.refresh_token as string,
            client_id: client.client_id,
          })
        ).status,
        400,
      );
    });

    test('concurrent use of one refresh token: one wins, the family is revoked', async () => {
      const client = await codeClient(tenantA);
      const pair = pkce();
      const cb = await signIn(new Browser(gw.url), client.client_id, 'alice@a.example', pair.challenge);
      const tokens = await json(
        await token({
          grant_type: 'authorization_code',
          code: cb.searchParams.get('code')!,
          redirect_uri: REDIRECT,
          code_verifier: pair.verifier,
          client_id: client.client_id,
        }),
      );
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          token({
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token as string,
            client_id: client.client_id,
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.filter((s) => s === 400).length >= 2, `statuses ${statuses}`);
      for (const r of results.filter((x) => x.status === 200)) {
        const body = await json(r);
        const next = await token({
          grant_type: 'refresh_token',
          refresh_token: body.refresh_token as string,
          client_id: client.client_id,
        });
        assert.equal(next.status, 400, 'the winner of the race is revoked with the family');
      }
    });

    test('first-party clients: implied consent, user role, superadmin only through them, tenant parameter', async () => {
      const console = await codeClient(tenantA, {
        first_party: true,
        scopes: ['ai:invoke', 'admin:read', 'admin:write'],
        role: 'viewer',
      });
      const pair = pkce();
      const cb = await signIn(new Browser(gw.url), console.client_id, 'alice@a.example', pair.challenge, {
        scope: 'openid admin:read admin:write',
      });
      const t = await json(
        await token({
          grant_type: 'authorization_code',
          code: cb.searchParams.get('code')!,
          redirect_uri: REDIRECT,
          code_verifier: pair.verifier,
          client_id: console.client_id,
        }),
      );
      const claims = decodeJwt(t.access_token as string).payload;
      assert.equal(claims.role, 'admin', "a first-party client carries the user's own role");
      assert.equal(claims.superadmin, undefined);

      const bobPair = pkce();
      const bobCb = await signIn(new Browser(gw.url), console.client_id, 'bob@b.example', bobPair.challenge, {
        scope: 'openid admin:read',
      });
      const bob = await json(
        await token({
          grant_type: 'authorization_code',
          code: bobCb.searchParams.get('code')!,
          redirect_uri: REDIRECT,
          code_verifier: bobPair.verifier,
          client_id: console.client_id,
        }),
      );
      assert.equal(
        decodeJwt(bob.access_token as string).payload.tenant_id,
        tenantB,
        'a user of another tenant signs in to their own tenant',
      );

      const wrongTenant = pkce();
      const denied = await signIn(new Browser(gw.url), console.client_id, 'bob@b.example', wrongTenant.challenge, {
        tenant: 'default',
      });
      assert.equal(denied.searchParams.get('error'), 'access_denied', 'not a member of the requested tenant');

      const admins = await rows(env, `SELECT email FROM tenancy_users WHERE superadmin = true`);
      assert.equal(admins.length, 1);
    });

    test('third-party client of tenant A: a user of tenant B is refused', async () => {
      const client = await codeClient(tenantA);
      const pair = pkce();
      const cb = await signIn(new Browser(gw.url), client.client_id, 'bob@b.example', pair.challenge);
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('code'), null);
    });

    test('login brute force: backoff per account and address, one generic error, similar timing for unknown users', async () => {
      const client = await codeClient(tenantA);
      const attempt = async (email: string, password: string, headers: Record<string, string> = {}) => {
        const browser = new Browser(gw.url);
        const page = await browser.follow(authorizeUrl(client.client_id, pkce().challenge));
        const started = performance.now();
        const r = await browser.postForm(`${new URL(page.url).pathname}/login`, { email, password }, headers);
        const ms = performance.now() - started;
        const text = r.res.status === 401 ? await r.res.text() : '';
        return { status: r.res.status, url: r.url, text, ms };
      };
      const messageOf = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1];
      const wrong = [];
      for (let i = 0; i < 3; i++) wrong.push(await attempt('victim@a.example', 'wrong password!'));
      const locked = await attempt('victim@a.example', PASSWORD);
      const unknown = [
        await attempt('nobody@a.example', 'wrong password!'),
        await attempt('nobody@a.example', PASSWORD),
      ];
      const all = [...wrong, locked, ...unknown];
      for (const a of all) {
        assert.equal(a.status, 401);
        assert.equal(messageOf(a.text), messageOf(wrong[0].text));
      }
      assert.ok(messageOf(wrong[0].text)?.includes('Incorrect e-mail or password'));
      // Issue 13 finding 15: the pause is for this address only; the real user signing in from
      // elsewhere is not locked out by someone else's guesses.
      const elsewhere = await attempt('victim@a.example', PASSWORD, { 'x-forwarded-for': '198.51.100.23' });
      assert.notEqual(elsewhere.status, 401, 'the victim signs in from another address');
      const users = await rows(env, `SELECT locked_until FROM tenancy_users WHERE email = 'victim@a.example'`);
      assert.equal(users[0].locked_until, null, 'no account-wide lock');
      const times = all.map((a) => a.ms);
      const known = [...wrong.map((a) => a.ms), locked.ms];
      const unknownTimes = unknown.map((a) => a.ms);
      for (const t of times) assert.ok(t >= 290, `every failure takes the floor time (${t.toFixed(0)} ms)`);
      const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(
        Math.abs(avg(known) - avg(unknownTimes)) < 150,
        `known ${avg(known).toFixed(0)} ms vs unknown ${avg(unknownTimes).toFixed(0)} ms`,
      );
      const ok = await attempt('alice@a.example', PASSWORD);
      assert.notEqual(ok.status, 401, 'other accounts are unaffected');
    });

    test('login password spraying: one address is throttled over all accounts (429, Retry-After), others are not', async () => {
      const client = await codeClient(tenantA);
      const sprayer = { 'x-forwarded-for': '203.0.113.7' };
      const attempt = async (email: string, password: string, headers: Record<string, string>) => {
        const browser = new Browser(gw.url);
        const page = await browser.follow(authorizeUrl(client.client_id, pkce().challenge));
        return browser.postForm(`${new URL(page.url).pathname}/login`, { email, password }, headers);
      };
      // 8 failures over 8 different accounts (no account gets locked: each is tried once).
      for (let i = 0; i < 8; i++)
        assert.equal((await attempt(`user${i}@a.example`, 'Winter2026!', sprayer)).res.status, 401);
      // The 9th, even with a real account's right password, is refused before any password check.
      const blocked = await attempt('alice@a.example', PASSWORD, sprayer);
      assert.equal(blocked.res.status, 429);
      const retryAfter = Number(blocked.res.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(await blocked.res.text(), /Too many failed sign-ins/);
      const users = await rows(env, `SELECT failed_logins FROM tenancy_users WHERE email = 'alice@a.example'`);
      assert.equal(Number(users[0].failed_logins), 0, 'a throttled attempt does not count against the account');
      // Another address signs in as usual.
      const other = await attempt('alice@a.example', PASSWORD, { 'x-forwarded-for': '198.51.100.20' });
      assert.ok(
        other.url.startsWith(REDIRECT) || other.res.status === 200,
        `other address: ${other.res.status} ${other.url}`,
      );
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.match(metrics, /aihub_auth_logins_total\{result="throttled"\} [1-9]/);
    });

    test('interactions cannot be hijacked or replayed without their cookie', async () => {
      const client = await codeClient(tenantA);
      const browser = new Browser(gw.url);
      const page = await browser.follow(authorizeUrl(client.client_id, pkce().challenge));
      const path = new URL(page.url).pathname;
      const stranger = new Browser(gw.url);
      const r = await stranger.postForm(`${path}/login`, { email: 'alice@a.example', password: PASSWORD });
      assert.equal(r.res.status, 400);
      assert.equal((await stranger.request(path)).status, 400);
      assert.equal((await stranger.request('/oauth/interaction/nope')).status, 400);
      const big = await browser.request(`${path}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `email=${'a'.repeat(20_000)}`,
      });
      assert.equal(big.status, 413);
    });

    test('deleting a client revokes its tokens; cross-tenant client admin is 404', async () => {
      const svc = (
        await adminPost(`/admin/v1/tenants/${tenantA}/oauth-clients`, {
          name: 'temp',
          grant_types: ['client_credentials'],
        })
      ).body as typeof cc;
      const access = await ccToken(svc);
      assert.equal((await whoami(access)).status, 200);
      const ownerB = (
        await adminPost(`/admin/v1/tenants/${tenantB}/api-keys`, {
          name: 'ownerB',
          role: 'owner',
          scopes: ['admin:read', 'admin:write'],
        })
      ).body.key as string;
      for (const [method, path] of [
        ['GET', `/admin/v1/tenants/${tenantA}/oauth-clients`],
        ['GET', `/admin/v1/tenants/${tenantA}/oauth-clients/${svc.client_id}`],
        ['DELETE', `/admin/v1/tenants/${tenantA}/oauth-clients/${svc.client_id}`],
        ['GET', `/admin/v1/tenants/${tenantB}/oauth-clients/${svc.client_id}`],
        ['DELETE', `/admin/v1/tenants/${tenantB}/oauth-clients/${svc.client_id}`],
      ]) {
        const res = await gw.fetch(path, { method, headers: bearer(ownerB) });
        assert.equal(res.status, 404, `${method} ${path}`);
      }
      const list = await json(await gw.fetch(`/admin/v1/tenants/${tenantA}/oauth-clients`, { headers: bearer(admin) }));
      assert.ok(!JSON.stringify(list).includes(svc.client_secret), 'secrets are never listed');
      const del = await gw.fetch(`/admin/v1/tenants/${tenantA}/oauth-clients/${svc.client_id}`, {
        method: 'DELETE',
        headers: bearer(admin),
      });
      assert.equal(del.status, 200);
      assert.equal((await whoami(access)).status, 401, 'its access tokens stop working');
      const res = await token(
        { grant_type: 'client_credentials' },
        { authorization: basic(svc.client_id, svc.client_secret) },
      );
      assert.equal(res.status, 401);
      assert.equal(
        (await gw.fetch(`/admin/v1/tenants/${tenantA}/oauth-clients/${svc.client_id}`, { headers: bearer(admin) }))
          .status,
        404,
      );
      const audit = await (await gw.fetch(`/admin/v1/tenants/${tenantA}/audit`, { headers: bearer(admin) })).text();
      assert.ok(audit.includes('oauth_client.delete') && audit.includes('oauth_client.create'));
      assert.ok(!audit.includes(svc.client_secret));
    });

    test('bad input at the OAuth endpoints and the client API: 4xx, never 5xx', async () => {
      const injection = "x' OR '1'='1";
      const tokenCases: [Record<string, string>, Record<string, string>][] = [
        [{ grant_type: 'client_credentials', client_id: injection, client_secret: injection }, {}],
        [{ grant_type: 'client_credentials', client_id: 'x'.repeat(5000), client_secret: 'y' }, {}],
        [{ grant_type: 'client_credentials' }, { authorization: `Basic ${'!'.repeat(100)}` }],
        [{ grant_type: 'client_credentials' }, { authorization: basic(injection, injection) }],
        [
          {
            grant_type: 'authorization_code',
            code: injection,
            redirect_uri: REDIRECT,
            code_verifier: 'a'.repeat(50),
            client_id: cc.client_id,
          },
          {},
        ],
        [
          {
            grant_type: 'refresh_token',
            refresh_token: 'r'.repeat(5000),
            client_id: cc.client_id,
            client_secret: cc.client_secret,
          },
          {},
        ],
        [{ grant_type: injection }, { authorization: basic(cc.client_id, cc.client_secret) }],
        [
          { grant_type: 'client_credentials', scope: injection },
          { authorization: basic(cc.client_id, cc.client_secret) },
        ],
      ];
      for (const [fields, headers] of tokenCases) {
        const res = await token(fields, headers);
        assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(fields).slice(0, 60)} → ${res.status}`);
      }
      const huge = await gw.fetch('/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&x=${'a'.repeat(200_000)}`,
      });
      assert.ok(huge.status >= 400 && huge.status < 500, `huge body → ${huge.status}`);
      const authz = await new Browser(gw.url).request(
        `/oauth/authorize?client_id=${encodeURIComponent(injection)}&response_type=code&redirect_uri=${REDIRECT}`,
      );
      assert.equal(authz.status, 400);

      const base = `/admin/v1/tenants/${tenantA}/oauth-clients`;
      const bodies: unknown[] = [
        { name: 'x', grant_types: ['password'] },
        { name: 'x', grant_types: ['implicit'] },
        { name: 'x', grant_types: [] },
        { name: 'x'.repeat(201), grant_types: ['client_credentials'] },
        { name: 'x\u0000', grant_types: ['client_credentials'] },
        { name: 'x', grant_types: ['authorization_code'] },
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['http://evil.example/cb'] },
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['https://ok.example/cb#frag'] },
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: [injection] },
        { name: 'x', grant_types: ['authorization_code'], redirect_uris: [`https://ok.example/${'a'.repeat(3000)}`] },
        { name: 'x', grant_types: ['client_credentials'], redirect_uris: ['https://ok.example/cb'] },
        { name: 'x', grant_types: ['refresh_token'] },
        { name: 'x', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' },
        { name: 'x', grant_types: ['client_credentials'], scopes: [injection] },
        { name: 'x', grant_types: ['client_credentials'], role: injection },
        { name: 'x', grant_types: ['client_credentials'], unknown: true },
      ];
      for (const body of bodies) {
        const r = await adminPost(base, body);
        assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${r.status} ${JSON.stringify(r.body)}`);
      }
      assert.equal(
        (await gw.fetch(`${base}/${encodeURIComponent(injection)}`, { headers: bearer(admin) })).status,
        400,
      );
      const named = await adminPost(base, { name: injection, grant_types: ['client_credentials'] });
      assert.equal(named.status, 201);
      assert.equal(named.body.name, injection);
    });
  });
}
