import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import {
  Browser,
  bearer,
  createEnv,
  decodeJwt,
  form,
  json,
  newAdminKey,
  pkce,
  rows,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

/** `POST /admin/v1/me/password`: the console's password change. */
const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const REDIRECT = 'http://localhost:5555/cb';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a whole new password, long enough';

for (const backend of BACKENDS) {
  describe(`password change (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenant: string;
    let clientId: string;

    const adminPost = async (path: string, body: unknown) =>
      json(
        await gw.fetch(path, {
          method: 'POST',
          headers: bearer(admin, { 'content-type': 'application/json' }),
          body: JSON.stringify(body),
        }),
      );
    const token = (fields: Record<string, string>) => gw.fetch('/oauth/token', form(fields));
    const change = (accessToken: string, body: unknown) =>
      gw.fetch('/admin/v1/me/password', {
        method: 'POST',
        headers: bearer(accessToken, { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });

    /** Signs in through the login page; the token response. */
    async function signIn(email: string, password = PASSWORD): Promise<Record<string, unknown>> {
      const browser = new Browser(gw.url);
      const pair = pkce();
      const q = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: REDIRECT,
        scope: 'openid admin:read admin:write',
        state: 's',
        code_challenge: pair.challenge,
        code_challenge_method: 'S256',
      });
      let r = await browser.follow(`/oauth/authorize?${q}`);
      r = await browser.postForm(`${new URL(r.url).pathname}/login`, { email, password });
      if (!r.url.startsWith(REDIRECT) && r.res.status === 200 && (await r.res.clone().text()).includes('Authorize'))
        r = await browser.postForm(`${new URL(r.url).pathname}/confirm`, { decision: 'allow' });
      assert.ok(r.url.startsWith(REDIRECT), `sign-in ended at ${r.url}`);
      const res = await token({
        grant_type: 'authorization_code',
        code: new URL(r.url).searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: pair.verifier,
        client_id: clientId,
      });
      const tokens = await json(res);
      assert.equal(res.status, 200, JSON.stringify(tokens));
      return tokens;
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin, tenancy: { password: { minLength: 12 } } });
      const list = await json(await gw.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
      tenant = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      const client = await adminPost(`/admin/v1/tenants/${tenant}/oauth-clients`, {
        name: 'console-like',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT],
        scopes: ['admin:read', 'admin:write'],
        role: 'owner',
        token_endpoint_auth_method: 'none',
      });
      clientId = client.client_id as string;
      for (const email of ['carol@example.com', 'dave@example.com']) {
        await adminPost('/admin/v1/users', { email, password: PASSWORD });
        await adminPost(`/admin/v1/tenants/${tenant}/members`, { email, role: 'admin' });
      }
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('checks the current password and the policy; on success the other sign-ins end, this one stays; audited without passwords', async () => {
      const here = await signIn('carol@example.com');
      const elsewhere = await signIn('carol@example.com');
      const other = await signIn('dave@example.com');
      const at = here.access_token as string;

      const wrong = await change(at, { current_password: 'not my password', new_password: NEW_PASSWORD });
      assert.equal(wrong.status, 400);
      assert.equal((await json(wrong)).code, 'invalid_current_password');
      const short = await change(at, { current_password: PASSWORD, new_password: 'short' });
      const shortBody = await json(short);
      assert.equal(short.status, 400);
      assert.equal(shortBody.code, 'invalid_password');
      assert.match(shortBody.detail as string, /12/);
      assert.equal(
        (await change(at, { current_password: PASSWORD, new_password: PASSWORD })).status,
        400,
        'the same password is refused',
      );

      const ok = await change(at, { current_password: PASSWORD, new_password: NEW_PASSWORD });
      const okBody = await json(ok);
      assert.equal(ok.status, 200, JSON.stringify(okBody));
      assert.equal(okBody.sessions_revoked, 1);

      // The other sign-in: its refresh token is gone and its access token denied.
      assert.equal(
        (
          await token({
            grant_type: 'refresh_token',
            refresh_token: elsewhere.refresh_token as string,
            client_id: clientId,
          })
        ).status,
        400,
      );
      assert.equal((await gw.fetch('/admin/v1/me', { headers: bearer(elsewhere.access_token as string) })).status, 401);
      // This one keeps working, and can refresh.
      assert.equal((await gw.fetch('/admin/v1/me', { headers: bearer(at) })).status, 200);
      const refreshed = await token({
        grant_type: 'refresh_token',
        refresh_token: here.refresh_token as string,
        client_id: clientId,
      });
      assert.equal(refreshed.status, 200);
      // Another user's sign-in is untouched.
      assert.equal(
        (
          await token({
            grant_type: 'refresh_token',
            refresh_token: other.refresh_token as string,
            client_id: clientId,
          })
        ).status,
        200,
      );
      // The new password signs in; the old one does not.
      await signIn('carol@example.com', NEW_PASSWORD);
      const userId = decodeJwt(at).payload.sub as string;
      const entries = await rows(
        env,
        `SELECT action, target_id, "before", "after" FROM tenancy_audit_log WHERE action = 'user.password_change'`,
      );
      assert.equal(entries.length, 1);
      assert.equal(entries[0].target_id, userId);
      const text = JSON.stringify(entries);
      assert.ok(!text.includes(NEW_PASSWORD) && !text.includes(PASSWORD), 'no password in the audit log');
    });

    test('API keys cannot change a password', async () => {
      const key = await adminPost(`/admin/v1/tenants/${tenant}/api-keys`, { name: 'k', scopes: ['admin:read'] });
      const res = await change(key.key as string, { current_password: PASSWORD, new_password: NEW_PASSWORD });
      assert.equal(res.status, 403);
      assert.equal((await json(res)).code, 'user_session_required');
      assert.equal(
        (
          await gw.fetch('/admin/v1/me/password', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
        401,
      );
    });
  });
}
