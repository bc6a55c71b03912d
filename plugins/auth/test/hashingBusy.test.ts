import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import {
  Browser,
  bearer,
  createEnv,
  form,
  json,
  newAdminKey,
  pkce,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

/**
 * The tenancy plugin's bound on concurrent password hashing, seen through the real routes: a flood
 * beyond one running and one waiting derivation gets 503 with Retry-After (never a 500), and sign-in
 * works again once it has passed.
 */
const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const REDIRECT = 'http://localhost:5555/cb';
const PASSWORD = 'correct horse battery staple';
const FLOOD = 12;

for (const backend of BACKENDS) {
  describe(`password hashing bound (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let clientId: string;

    const adminPost = async (path: string, body: unknown) =>
      json(
        await gw.fetch(path, {
          method: 'POST',
          headers: bearer(admin, { 'content-type': 'application/json' }),
          body: JSON.stringify(body),
        }),
      );

    /** A browser at the login page of a fresh authorization; the page's path. */
    async function atLoginPage(): Promise<{ browser: Browser; path: string; verifier: string }> {
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
      const r = await browser.follow(`/oauth/authorize?${q}`);
      assert.equal(r.res.status, 200);
      return { browser, path: `${new URL(r.url).pathname}/login`, verifier: pair.verifier };
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, {
        adminKey: admin,
        // A distributed flood: no per-address throttle to stop it first. N = 65536 makes each
        // derivation long enough (~0.1-0.3 s) for the flood to overlap it.
        auth: { oauth: { loginFailuresPerIpPerMinute: 0 } },
        tenancy: { password: { scryptN: 65536, maxConcurrentHashes: 1, maxQueuedHashes: 1 } },
      });
      const list = await json(await gw.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
      const tenant = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      const client = await adminPost(`/admin/v1/tenants/${tenant}/oauth-clients`, {
        name: 'console-like',
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scopes: ['admin:read', 'admin:write'],
        role: 'owner',
        token_endpoint_auth_method: 'none',
      });
      clientId = client.client_id as string;
      await adminPost('/admin/v1/users', { email: 'erin@example.com', password: PASSWORD });
      await adminPost(`/admin/v1/tenants/${tenant}/members`, { email: 'erin@example.com', role: 'admin' });
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('a login flood beyond the queue answers 503 with Retry-After on the login page; then sign-in works', async () => {
      const pages = await Promise.all(Array.from({ length: FLOOD }, () => atLoginPage()));
      const answers = await Promise.all(
        pages.map(async ({ browser, path }, i) => {
          // Known user with a wrong password and unknown e-mails alike.
          const email = i % 2 ? 'erin@example.com' : `nobody${i}@example.com`;
          const { res } = await browser.postForm(path, { email, password: 'not the password' });
          return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
        }),
      );
      const statuses = answers.map((a) => a.status);
      assert.ok(
        statuses.every((s) => s === 401 || s === 503),
        `only 401 (checked) and 503 (busy): ${statuses}`,
      );
      const busy = answers.filter((a) => a.status === 503);
      assert.ok(busy.length >= 1, `the flood of ${FLOOD} overflows one running + one waiting: ${statuses}`);
      assert.ok(statuses.filter((s) => s === 401).length >= 2, `the first two are checked: ${statuses}`);
      for (const a of busy) {
        assert.equal(a.retryAfter, '1');
        assert.match(a.body, /Try again shortly/);
        assert.match(a.body, /<form/, 'the login page again, so the user can retry');
      }

      // The flood has passed: the same kind of page signs in.
      const { browser, path, verifier } = await atLoginPage();
      let r = await browser.postForm(path, { email: 'erin@example.com', password: PASSWORD });
      if (!r.url.startsWith(REDIRECT) && r.res.status === 200 && (await r.res.clone().text()).includes('Authorize'))
        r = await browser.postForm(`${new URL(r.url).pathname}/confirm`, { decision: 'allow' });
      assert.ok(r.url.startsWith(REDIRECT), `sign-in ended at ${r.url}`);
      const res = await gw.fetch(
        '/oauth/token',
        form({
          grant_type: 'authorization_code',
          code: new URL(r.url).searchParams.get('code')!,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
          client_id: clientId,
        }),
      );
      const tokens = await json(res);
      assert.equal(res.status, 200, JSON.stringify(tokens));

      // The password change route shares the bound: 503 password_hashing_busy with Retry-After.
      const at = tokens.access_token as string;
      const changes = await Promise.all(
        Array.from({ length: FLOOD }, () =>
          gw.fetch('/admin/v1/me/password', {
            method: 'POST',
            headers: bearer(at, { 'content-type': 'application/json' }),
            body: JSON.stringify({ current_password: 'not the password', new_password: 'a new password, long enough' }),
          }),
        ),
      );
      const changeStatuses = changes.map((c) => c.status);
      assert.ok(
        changeStatuses.every((s) => s === 400 || s === 503),
        `only 400 (wrong password) and 503 (busy): ${changeStatuses}`,
      );
      const refused = changes.filter((c) => c.status === 503);
      assert.ok(refused.length >= 1, `${changeStatuses}`);
      for (const c of refused) {
        assert.equal(c.headers.get('retry-after'), '1');
        const body = await json(c);
        assert.equal(body.code, 'password_hashing_busy');
      }
    });
  });
}
