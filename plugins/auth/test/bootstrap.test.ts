import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startTestGateway } from '@aihub/core/testing';
import tenancy, { TENANCY, type TenancyService } from '@aihub/plugin-tenancy';
import auth from '../src/index';
import { KEY_SECRET, bearer, createEnv, json, newAdminKey, rows, type Backend, type Env } from './helpers';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

/** The gateways' data directory: without a terminal the banner is written there, never to stdout. */
const DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'aihub-bootstrap-'));
after(() => rmSync(DATA_DIR, { recursive: true, force: true }));

/** The banners written since the last call (credentials files in DATA_DIR, removed once read). */
function takeBanners(): string {
  let out = '';
  for (const name of readdirSync(DATA_DIR)
    .filter((n) => n.startsWith('bootstrap-credentials-'))
    .sort()) {
    out += readFileSync(path.join(DATA_DIR, name), 'utf8');
    rmSync(path.join(DATA_DIR, name));
  }
  return out;
}

/**
 * Runs `fn` and returns the bootstrap banner it produced. Tests run without a terminal, so the
 * banner goes to a 0600 file in the data dir; stdout (the log stream) must not carry it.
 */
async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    assert.doesNotMatch(stdout, /ahk_|password {10}:/, 'no credentials on stdout, the log stream');
    return { result, output: takeBanners() };
  } finally {
    process.stdout.write = original;
  }
}

function start(env: Env, bootstrap: Record<string, unknown>) {
  return startTestGateway({
    plugins: [tenancy, auth],
    pluginConfig: { auth: { keySecret: KEY_SECRET, bootstrap } },
    config: {
      dataDir: DATA_DIR,
      database: { url: env.db.url },
      ...(env.redisUrl ? { redis: { url: env.redisUrl, keyPrefix: env.prefix } } : {}),
    },
  });
}

for (const backend of BACKENDS) {
  describe(`bootstrap (${backend})`, () => {
    const envs: Env[] = [];
    const fresh = async () => {
      const env = await createEnv(backend);
      envs.push(env);
      return env;
    };
    after(async () => {
      for (const env of envs) await env.db.drop();
    });

    test('first start shows the credentials once, outside the log stream; they work; a restart creates nothing', async () => {
      const env = await fresh();
      const { result: gw, output } = await captureStdout(() => start(env, { adminEmail: 'ops@example.com' }));
      try {
        const key = /superadmin API key: (ahk_[0-9A-Za-z]{18}_[0-9A-Za-z]{43})/.exec(output)?.[1];
        const password = /password {10}: (\S+)/.exec(output)?.[1];
        assert.ok(key, output);
        assert.ok(password && password.length >= 20, output);
        assert.match(output, /ops@example\.com/);
        const me = await gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
        assert.equal(me.status, 404, 'no probe plugin here: the key authenticated and the route is simply absent');
        const tenants = await gw.fetch('/admin/v1/tenants', { headers: bearer(key) });
        assert.equal(tenants.status, 200);
        const list = await json(tenants);
        assert.deepEqual(
          (list.data as { slug: string }[]).map((t) => t.slug),
          ['default'],
        );
        const svc = gw.kernel.root.get<TenancyService>(TENANCY as never);
        const user = await svc.findUserByEmail('ops@example.com');
        assert.ok(user?.superadmin);
        assert.equal(await svc.verifyPassword(user!, password!), true, 'the printed password is the real one');
        const stored = await rows(env, 'SELECT secret_hash, scopes FROM auth_api_keys');
        assert.equal(stored.length, 1);
        assert.ok(!JSON.stringify(stored).includes(key.slice(17)), 'only the HMAC is stored');
        assert.deepEqual(JSON.parse(String(stored[0].scopes)), [
          'ai:invoke',
          'events:write',
          'admin:read',
          'admin:write',
        ]);
      } finally {
        await gw.stop();
      }
      const again = await captureStdout(() => start(env, { adminEmail: 'ops@example.com' }));
      await again.result.stop();
      assert.ok(!again.output.includes('ahk_'), 'nothing printed on the second start');
      assert.equal((await rows(env, 'SELECT id FROM auth_api_keys')).length, 1);
      assert.equal((await rows(env, 'SELECT id FROM tenancy_users')).length, 1);
    });

    test('AIHUB_BOOTSTRAP_ADMIN_KEY becomes the superadmin key; it is not echoed', async () => {
      const env = await fresh();
      const key = newAdminKey();
      process.env.AIHUB_BOOTSTRAP_ADMIN_KEY = key;
      try {
        const { result: gw, output } = await captureStdout(() => start(env, {}));
        try {
          assert.ok(!output.includes(key), 'the operator-provided key is not printed back');
          assert.ok(output.includes(`ahk_${key.slice(4, 16)}_…`));
          const res = await gw.fetch('/admin/v1/tenants', { headers: bearer(key) });
          assert.equal(res.status, 200);
        } finally {
          await gw.stop();
        }
      } finally {
        delete process.env.AIHUB_BOOTSTRAP_ADMIN_KEY;
      }
    });

    test('an invalid AIHUB_BOOTSTRAP_ADMIN_KEY stops the start with an explanation', async () => {
      const env = await fresh();
      const explains = (err: Error) =>
        /AIHUB_BOOTSTRAP_ADMIN_KEY/.test(err.message) && /ahk_<id>_<secret>/.test(err.message);
      for (const bad of [
        'sk-123',
        'ahk_short_x',
        `ahk_${'a'.repeat(12)}_${'b'.repeat(10)}`,
        `ahk_${'a'.repeat(12)}_${'!'.repeat(43)}`,
      ]) {
        // From the config file: refused while the config is validated, before anything runs.
        await assert.rejects(() => start(env, { adminKey: bad, print: false }), explains, bad);
        process.env.AIHUB_BOOTSTRAP_ADMIN_KEY = bad;
        try {
          // From the environment: refused at plugin start, before anything is written.
          await assert.rejects(() => start(env, { print: false }), explains, bad);
        } finally {
          delete process.env.AIHUB_BOOTSTRAP_ADMIN_KEY;
        }
      }
      assert.equal((await rows(env, 'SELECT id FROM auth_api_keys')).length, 0, 'nothing was created');
      assert.equal((await rows(env, 'SELECT id FROM tenancy_users')).length, 0);
    });

    test('a database that already has users is not bootstrapped', async () => {
      const env = await fresh();
      const first = await start(env, { enabled: false });
      try {
        const svc = first.kernel.root.get<TenancyService>(TENANCY as never);
        await svc.createUser({ email: 'existing@example.com', password: 'a long enough password' });
      } finally {
        await first.stop();
      }
      const { result: gw, output } = await captureStdout(() => start(env, {}));
      await gw.stop();
      assert.ok(!output.includes('ahk_'), output);
      assert.equal((await rows(env, 'SELECT id FROM auth_api_keys')).length, 0);
      assert.equal((await rows(env, 'SELECT id FROM tenancy_users WHERE superadmin = true')).length, 0);
    });
    test('changing oauth.signingAlg rotates to a key of the new algorithm; old tokens verify through the grace period', async () => {
      const env = await fresh();
      const key = newAdminKey();
      const startWith = (alg: string) =>
        startTestGateway({
          plugins: [tenancy, auth],
          pluginConfig: {
            auth: {
              keySecret: KEY_SECRET,
              issuer: 'http://aihub.test',
              oauth: { signingAlg: alg },
              bootstrap: { adminKey: key, print: false },
            },
          },
          config: {
            database: { url: env.db.url },
            ...(env.redisUrl ? { redis: { url: env.redisUrl, keyPrefix: env.prefix } } : {}),
          },
        });
      const issue = async (
        gw: Awaited<ReturnType<typeof startWith>>,
        client: { client_id: string; client_secret: string },
      ) =>
        (
          await json(
            await gw.fetch('/oauth/token', {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
              },
              body: 'grant_type=client_credentials',
            }),
          )
        ).access_token as string;
      const rs = await startWith('RS256');
      let client: { client_id: string; client_secret: string };
      let oldToken: string;
      try {
        const tenants = await json(await rs.fetch('/admin/v1/tenants', { headers: bearer(key) }));
        const tenantId = (tenants.data as { id: string }[])[0].id;
        client = (await json(
          await rs.fetch(`/admin/v1/tenants/${tenantId}/oauth-clients`, {
            method: 'POST',
            headers: bearer(key, { 'content-type': 'application/json' }),
            body: JSON.stringify({ name: 'svc', grant_types: ['client_credentials'], scopes: ['admin:read'] }),
          }),
        )) as typeof client;
        oldToken = await issue(rs, client);
        assert.equal(JSON.parse(Buffer.from(oldToken.split('.')[0], 'base64url').toString()).alg, 'RS256');
      } finally {
        await rs.stop();
      }
      const es = await startWith('ES256');
      try {
        const fresh = await issue(es, client);
        assert.equal(JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).alg, 'ES256');
        const tenants = await json(await es.fetch('/admin/v1/auth/signing-keys', { headers: bearer(key) }));
        assert.deepEqual(
          (tenants.data as { alg: string; status: string }[]).map((k) => `${k.alg}:${k.status}`),
          ['ES256:active', 'RS256:retiring'],
        );
        for (const tok of [fresh, oldToken]) {
          const res = await es.fetch('/admin/v1/auth/signing-keys', { headers: bearer(tok) });
          assert.equal(res.status, 403, 'authenticated (a client token is not a superadmin), not 401');
        }
      } finally {
        await es.stop();
      }
    });
  });
}
