import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startTestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import auth from '../src/index';
import { KEY_SECRET, bearer, createEnv, newAdminKey, rows, type Env } from './helpers';

// Issue 14 item 11: the README's tour runs `AIHUB_BOOTSTRAP_ADMIN_KEY=$KEY npm start` after a first
// `npm start` already bootstrapped ./data. The key used to be ignored (every tour call 401).
const DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'aihub-bootstrap-later-'));
after(() => rmSync(DATA_DIR, { recursive: true, force: true }));

const start = (env: Env, bootstrap: Record<string, unknown>) =>
  startTestGateway({
    plugins: [tenancy, auth],
    pluginConfig: { auth: { keySecret: KEY_SECRET, bootstrap: { print: false, ...bootstrap } } },
    config: { dataDir: DATA_DIR, database: { url: env.db.url } },
  });

describe('AIHUB_BOOTSTRAP_ADMIN_KEY after the first start', () => {
  const envs: Env[] = [];
  after(async () => {
    for (const env of envs) await env.db.drop();
  });

  test('is added as a superadmin key of the bootstrap superadmin when its id is new; never duplicated or replaced', async () => {
    const env = await createEnv('sqlite');
    envs.push(env);
    await (await start(env, {})).stop();
    assert.equal((await rows(env, 'SELECT id FROM auth_api_keys')).length, 1, 'the first start made its own key');

    const key = newAdminKey();
    process.env.AIHUB_BOOTSTRAP_ADMIN_KEY = key;
    try {
      const gw = await start(env, {});
      try {
        const res = await gw.fetch('/admin/v1/tenants', { headers: bearer(key) });
        assert.equal(res.status, 200, 'the key named at the second start works');
      } finally {
        await gw.stop();
      }
      // A third start with the same key adds nothing.
      await (await start(env, {})).stop();
    } finally {
      delete process.env.AIHUB_BOOTSTRAP_ADMIN_KEY;
    }
    const keys = await rows(env, 'SELECT id, superadmin FROM auth_api_keys ORDER BY created_at');
    assert.equal(keys.length, 2);
    assert.equal(keys[1].id, key.slice(4, 16));
    assert.equal((await rows(env, 'SELECT id FROM tenancy_users')).length, 1, 'no second superadmin');
    const audit = await rows(env, "SELECT action FROM tenancy_audit_log WHERE action = 'auth.bootstrap_key'");
    assert.equal(audit.length, 1);
  });
});
