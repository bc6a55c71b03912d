import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import type { TestGateway } from '@aihub/core/testing';
import { generateApiKey } from '../src/index';
import { randomBase62 } from '../src/keyFormat';
import {
  authRuntimeOf,
  bearer,
  createEnv,
  json,
  newAdminKey,
  startAuthGateway,
  type Backend,
  type Env,
} from './helpers';

/**
 * Issue 13, finding 8: a forged or malformed credential is the cheapest request there is. Keys with a
 * wrong checksum and garbage bearer values are refused without any lookup; an address that keeps
 * failing gets 429 with Retry-After, without a lookup for ids never seen, while a valid caller from
 * the same address is still served.
 */
const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const LIMIT = 10;

for (const backend of BACKENDS) {
  describe(`refusing bad credentials (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let key: string;
    let lookups = 0;

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, {
        adminKey: admin,
        auth: { issuer: 'http://aihub.test', authFailures: { perMinute: LIMIT } },
        server: { trustProxy: true },
      });
      const tenants = await json(await gw.fetch('/admin/v1/tenants', { headers: bearer(admin) }));
      const tenant = (tenants.data as { id: string }[])[0].id;
      const created = await gw.fetch(`/admin/v1/tenants/${tenant}/api-keys`, {
        method: 'POST',
        headers: bearer(admin, { 'content-type': 'application/json' }),
        body: JSON.stringify({ name: 'valid' }),
      });
      key = (await json(created)).key as string;
      // Count every key read the hot path makes from here on.
      const keys = authRuntimeOf(gw).keys;
      const findForAuth = keys.findForAuth.bind(keys);
      keys.findForAuth = (id: string) => {
        lookups++;
        return findForAuth(id);
      };
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    const whoami = (credential: string, ip: string) =>
      gw.fetch('/v1/probe/whoami', { headers: bearer(credential, { 'x-forwarded-for': ip }) });

    test('keys with a wrong checksum and garbage tokens are refused (401) without any lookup', async () => {
      const before = lookups;
      const forged = [
        ...Array.from({ length: 5 }, () => `ahk_${randomBase62(18)}_${randomBase62(43)}`),
        `${key.slice(0, 30)}${key[30] === 'x' ? 'y' : 'x'}${key.slice(31)}`,
        `${randomBytes(12).toString('base64url')}.${randomBytes(30).toString('base64url')}.${randomBytes(40).toString('base64url')}`,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln',
        randomBytes(30).toString('hex'),
      ];
      for (const [i, credential] of forged.entries()) {
        const res = await whoami(credential, `198.51.100.${i + 1}`);
        assert.equal(res.status, 401, credential);
      }
      assert.equal(lookups, before, 'no key was read for any of them');
    });

    test(`after ${LIMIT} failures an address gets 429 with Retry-After and no lookups; a valid key from it is still served`, async () => {
      const ip = '203.0.113.50';
      // Well-formed keys with valid checksums and random ids: each would be a lookup.
      for (let i = 0; i < LIMIT - 1; i++) assert.equal((await whoami(generateApiKey().key, ip)).status, 401);
      const last = await whoami(generateApiKey().key, ip);
      assert.equal(last.status, 429);
      assert.ok(Number(last.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
      assert.equal(((await json(last)).error as { code: string }).code, 'too_many_auth_failures');
      const before = lookups;
      for (let i = 0; i < 20; i++) assert.equal((await whoami(generateApiKey().key, ip)).status, 429);
      assert.equal(lookups, before, 'a blocked address causes no lookups for ids never seen');
      // The valid caller behind the same address (say, a NAT shared with the attacker): served,
      // though its key was never used on this instance (ids of issued keys are known), and again
      // once cached.
      assert.equal((await whoami(key, ip)).status, 200);
      authRuntimeOf(gw).apiKeys.evict(key.slice(4, 16));
      assert.equal((await whoami(key, ip)).status, 200, 'a known key id is looked up again even for a blocked address');
      // Other addresses are unaffected.
      assert.equal((await whoami(generateApiKey().key, '203.0.113.51')).status, 401);
    });
  });
}
