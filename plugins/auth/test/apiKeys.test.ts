import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import { bearer, createEnv, json, newAdminKey, sleep, startAuthGateway, type Backend, type Env } from './helpers';
import { keyChecksum } from '../src/keyFormat';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

for (const backend of BACKENDS) {
  describe(`API keys (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenantA: string;
    let tenantB: string;

    const post = (path: string, body: unknown, key = admin) =>
      gw.fetch(path, {
        method: 'POST',
        headers: bearer(key, { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
    const patch = (path: string, body: unknown, key = admin) =>
      gw.fetch(path, {
        method: 'PATCH',
        headers: bearer(key, { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
    const get = (path: string, key = admin) => gw.fetch(path, { headers: bearer(key) });
    const del = (path: string, key = admin) => gw.fetch(path, { method: 'DELETE', headers: bearer(key) });

    async function createKey(
      tenantId: string,
      body: Record<string, unknown>,
      key = admin,
    ): Promise<{ id: string; key: string }> {
      const res = await post(`/admin/v1/tenants/${tenantId}/api-keys`, body, key);
      const out = await json(res);
      assert.equal(res.status, 201, JSON.stringify(out));
      return out as { id: string; key: string };
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, {
        adminKey: admin,
        auth: { apiKeys: { lastUsedFlushMs: 100, lastUsedIntervalMs: 1000 } },
      });
      const list = await json(await get('/admin/v1/tenants'));
      tenantA = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      const b = await json(await post('/admin/v1/tenants', { name: 'Tenant B', slug: 'tenant-b' }));
      tenantB = b.id as string;
      assert.ok(tenantB);
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('the bootstrap key from AIHUB_BOOTSTRAP_ADMIN_KEY works as a superadmin key', async () => {
      const res = await get('/admin/v1/tenants');
      assert.equal(res.status, 200);
      const who = await json(await get('/v1/probe/whoami'));
      const principal = who.principal as Record<string, unknown>;
      assert.equal(principal.kind, 'api_key');
      assert.equal(principal.superadmin, true);
      assert.deepEqual(principal.scopes, ['ai:invoke', 'events:write', 'admin:read', 'admin:write']);
    });

    test('create returns the key once; list/get never show it or its hash', async () => {
      const res = await post(`/admin/v1/tenants/${tenantA}/api-keys`, { name: 'ci' });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const created = await json(res);
      assert.match(created.key as string, /^ahk_[0-9A-Za-z]{18}_[0-9A-Za-z]{43}$/, 'id, checksum, secret');
      assert.equal((created.key as string).slice(4, 16), created.id);
      assert.deepEqual(created.scopes, ['ai:invoke']);
      assert.equal(created.role, 'developer');
      assert.equal(created.status, 'active');
      assert.equal(created.key_prefix, `ahk_${created.id}`);
      const one = await get(`/admin/v1/tenants/${tenantA}/api-keys/${created.id}`);
      const oneText = await one.text();
      assert.equal(one.status, 200);
      const listText = await (await get(`/admin/v1/tenants/${tenantA}/api-keys`)).text();
      for (const text of [oneText, listText]) {
        assert.ok(!text.includes(created.key as string), 'the full key is never returned again');
        assert.ok(!text.includes((created.key as string).slice(17)), 'nor its secret part');
        assert.ok(!text.includes('secret_hash') && !text.includes('"key"'), 'nor a hash');
      }
      const audit = await (await get(`/admin/v1/tenants/${tenantA}/audit`)).text();
      assert.ok(audit.includes('api_key.create'), audit);
      assert.ok(!audit.includes((created.key as string).slice(17)), 'the audit log never holds the secret');
    });

    test('a key authenticates as Bearer and as x-api-key, with its tenant', async () => {
      const { key, id } = await createKey(tenantA, { name: 'app', scopes: ['ai:invoke'] });
      for (const headers of [bearer(key), { 'x-api-key': key }, { authorization: `bearer  ${key} ` }]) {
        const res = await gw.fetch('/v1/probe/whoami', { headers });
        const body = await json(res);
        assert.equal(res.status, 200, JSON.stringify(body));
        const p = body.principal as Record<string, unknown>;
        assert.equal(p.kind, 'api_key');
        assert.equal(p.keyId, id);
        assert.equal(p.subject, id);
        assert.equal(p.tenantId, tenantA);
        assert.equal(p.role, 'developer');
        assert.equal(body.tenant, tenantA);
      }
    });

    test('missing, malformed, unknown and wrong-secret keys get 401 invalid_api_key, and the gateway keeps serving', async () => {
      const { key } = await createKey(tenantA, { name: 'good' });
      // Well-formed with a valid checksum, so these reach the lookup and the HMAC check.
      const id = key.slice(4, 16);
      const secret = key.slice(23);
      const otherSecret = (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
      const wrongSecret = `ahk_${id}${keyChecksum(id, otherSecret)}_${otherSecret}`;
      const unknownId = `ahk_${'Z'.repeat(12)}${keyChecksum('Z'.repeat(12), secret)}_${secret}`;
      const cases: Record<string, string>[] = [
        {},
        bearer(''),
        { authorization: 'Basic Zm9vOmJhcg==' },
        bearer('sk-not-ours'),
        bearer('ahk_short_secret'),
        bearer(`ahk_${'a'.repeat(12)}_${'!'.repeat(43)}`),
        bearer(`${key}x`.repeat(3)),
        bearer(wrongSecret),
        bearer(unknownId),
        bearer(unknownId),
        { 'x-api-key': wrongSecret },
        bearer('a.b'),
        bearer('x'.repeat(8000)),
      ];
      for (const headers of cases) {
        const res = await gw.fetch('/v1/probe/whoami', { headers });
        const body = await json(res);
        assert.equal(
          res.status,
          401,
          `${JSON.stringify(headers).slice(0, 80)} → ${res.status} ${JSON.stringify(body)}`,
        );
        const error = body.error as Record<string, unknown>;
        assert.equal(error.code, 'invalid_api_key');
        assert.equal(error.type, 'authentication_error');
        assert.ok(res.headers.get('www-authenticate')?.startsWith('Bearer'));
      }
      const ok = await gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
      assert.equal(ok.status, 200);
    });

    test('optional-auth routes pass without credentials but refuse bad ones', async () => {
      assert.deepEqual(await json(await gw.fetch('/v1/probe/optional')), { principal: null });
      assert.equal((await gw.fetch('/v1/probe/optional', { headers: bearer('ahk_nope') })).status, 401);
      const { key, id } = await createKey(tenantA, { name: 'opt' });
      assert.deepEqual(await json(await gw.fetch('/v1/probe/optional', { headers: bearer(key) })), { principal: id });
    });

    test('an expired key gets 401 api_key_expired', async () => {
      const { key } = await createKey(tenantA, {
        name: 'short',
        expires_at: new Date(Date.now() + 1200).toISOString(),
      });
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(key) })).status, 200);
      await sleep(1300);
      const res = await gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
      assert.equal(res.status, 401);
      assert.equal(((await json(res)).error as { code: string }).code, 'api_key_expired');
      const past = await post(`/admin/v1/tenants/${tenantA}/api-keys`, {
        name: 'past',
        expires_at: new Date(Date.now() - 1000).toISOString(),
      });
      assert.equal(past.status, 400);
    });

    test('revocation is immediate, idempotent, and answers api_key_revoked', async () => {
      const { key, id } = await createKey(tenantA, { name: 'revoke-me' });
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(key) })).status, 200);
      const res = await del(`/admin/v1/tenants/${tenantA}/api-keys/${id}`);
      const body = await json(res);
      assert.equal(res.status, 200);
      assert.equal(body.status, 'revoked');
      assert.ok(body.revoked_at);
      assert.equal(body.key, undefined);
      const denied = await gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
      assert.equal(denied.status, 401);
      assert.equal(((await json(denied)).error as { code: string }).code, 'api_key_revoked');
      const again = await json(await del(`/admin/v1/tenants/${tenantA}/api-keys/${id}`));
      assert.equal(again.revoked_at, body.revoked_at, 'revoking twice keeps the first revocation');
      assert.equal((await patch(`/admin/v1/tenants/${tenantA}/api-keys/${id}`, { name: 'x' })).status, 409);
    });

    test('changes (PATCH) apply at once: removing ai:invoke makes the key fail the scope check', async () => {
      const { key, id } = await createKey(tenantA, { name: 'narrow', scopes: ['ai:invoke', 'events:write'] });
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(key) })).status, 200);
      const res = await patch(`/admin/v1/tenants/${tenantA}/api-keys/${id}`, {
        scopes: ['events:write'],
        limits: { requestsPerMinute: 10 },
      });
      assert.equal(res.status, 200);
      const denied = await gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
      assert.equal(denied.status, 403);
      const err = (await json(denied)).error as Record<string, unknown>;
      assert.equal(err.code, 'insufficient_scope');
      assert.match(err.message as string, /ai:invoke/);
    });

    test("another tenant's keys are 404 to a tenant owner key", async () => {
      const owner = await createKey(tenantA, {
        name: 'owner',
        role: 'owner',
        scopes: ['admin:read', 'admin:write', 'ai:invoke'],
      });
      const bKey = await createKey(tenantB, { name: 'b-key' });
      const attempts: [string, Response][] = [
        ['list B', await get(`/admin/v1/tenants/${tenantB}/api-keys`, owner.key)],
        ['get B key', await get(`/admin/v1/tenants/${tenantB}/api-keys/${bKey.id}`, owner.key)],
        ['create in B', await post(`/admin/v1/tenants/${tenantB}/api-keys`, { name: 'x' }, owner.key)],
        ['revoke B key', await del(`/admin/v1/tenants/${tenantB}/api-keys/${bKey.id}`, owner.key)],
        ['patch B key', await patch(`/admin/v1/tenants/${tenantB}/api-keys/${bKey.id}`, { name: 'x' }, owner.key)],
        ['B key through A', await get(`/admin/v1/tenants/${tenantA}/api-keys/${bKey.id}`, owner.key)],
        ['revoke B key through A', await del(`/admin/v1/tenants/${tenantA}/api-keys/${bKey.id}`, owner.key)],
      ];
      for (const [what, res] of attempts) {
        const text = await res.text();
        assert.equal(res.status, 404, `${what}: ${res.status} ${text}`);
        assert.ok(!text.includes('b-key'), `${what} leaks nothing of B`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
      }
      assert.equal(
        (await gw.fetch('/v1/probe/whoami', { headers: bearer(bKey.key) })).status,
        200,
        'B key still works',
      );
      const own = await get(`/admin/v1/tenants/${tenantA}/api-keys`, owner.key);
      assert.equal(own.status, 200);
    });

    test('developer and viewer keys cannot write; keys cannot hand out more than they hold', async () => {
      for (const role of ['developer', 'viewer']) {
        const { key } = await createKey(tenantA, { name: role, role, scopes: ['admin:read', 'admin:write'] });
        const res = await post(`/admin/v1/tenants/${tenantA}/api-keys`, { name: 'x' }, key);
        assert.equal(res.status, 403, role);
        const revoke = await del(`/admin/v1/tenants/${tenantA}/api-keys/${'A'.repeat(12)}`, key);
        assert.equal(revoke.status, 403, `${role} revoke`);
      }
      const noAdminScope = await createKey(tenantA, { name: 'plain', role: 'owner', scopes: ['ai:invoke'] });
      const res = await post(`/admin/v1/tenants/${tenantA}/api-keys`, { name: 'x' }, noAdminScope.key);
      assert.equal(res.status, 403);
      assert.equal((await json(res)).code, 'insufficient_scope');
      const adminKey = await createKey(tenantA, {
        name: 'admin',
        role: 'admin',
        scopes: ['admin:read', 'admin:write'],
      });
      assert.equal(
        (
          await post(
            `/admin/v1/tenants/${tenantA}/api-keys`,
            { name: 'x', role: 'owner', scopes: ['admin:read'] },
            adminKey.key,
          )
        ).status,
        403,
        'role above own',
      );
      assert.equal(
        (await post(`/admin/v1/tenants/${tenantA}/api-keys`, { name: 'x', scopes: ['ai:invoke'] }, adminKey.key))
          .status,
        403,
        'scope it lacks',
      );
      assert.equal(
        (
          await post(
            `/admin/v1/tenants/${tenantA}/api-keys`,
            { name: 'x', scopes: ['admin:read'], superadmin: true },
            adminKey.key,
          )
        ).status,
        403,
        'superadmin',
      );
      assert.equal(
        (
          await post(
            `/admin/v1/tenants/${tenantA}/api-keys`,
            { name: 'x', role: 'developer', scopes: ['admin:read'] },
            adminKey.key,
          )
        ).status,
        201,
      );
      // Keys above the caller are not theirs to change or revoke.
      const ownerKey = await createKey(tenantA, { name: 'owner-key', role: 'owner', scopes: ['ai:invoke'] });
      const devKey = await createKey(tenantA, { name: 'dev-key', role: 'developer', scopes: ['ai:invoke'] });
      assert.equal((await del(`/admin/v1/tenants/${tenantA}/api-keys/${ownerKey.id}`, adminKey.key)).status, 403);
      assert.equal(
        (await patch(`/admin/v1/tenants/${tenantA}/api-keys/${ownerKey.id}`, { name: 'pwned' }, adminKey.key)).status,
        403,
      );
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(ownerKey.key) })).status, 200);
      assert.equal((await del(`/admin/v1/tenants/${tenantA}/api-keys/${devKey.id}`, adminKey.key)).status, 200);
    });

    test('list: cursor pagination and filters', async () => {
      const t = await json(await post('/admin/v1/tenants', { name: 'Paging', slug: `paging-${backend}` }));
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await createKey(t.id as string, { name: `k${i}` })).id);
      const revoked = ids[0];
      await del(`/admin/v1/tenants/${t.id}/api-keys/${revoked}`);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Record<string, unknown> = await json(
          await get(`/admin/v1/tenants/${t.id}/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`),
        );
        seen.push(...(page.data as { id: string }[]).map((k) => k.id));
        cursor = page.next_cursor as string | null;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 3);
      assert.deepEqual([...seen].sort(), [...ids].sort());
      const active = await json(await get(`/admin/v1/tenants/${t.id}/api-keys?status=active`));
      assert.equal((active.data as unknown[]).length, 4);
      const onlyRevoked = await json(await get(`/admin/v1/tenants/${t.id}/api-keys?status=revoked`));
      assert.deepEqual(
        (onlyRevoked.data as { id: string }[]).map((k) => k.id),
        [revoked],
      );
      const q = await json(await get(`/admin/v1/tenants/${t.id}/api-keys?q=K3`));
      assert.deepEqual(
        (q.data as { name: string }[]).map((k) => k.name),
        ['k3'],
      );
      assert.equal((await get(`/admin/v1/tenants/${t.id}/api-keys?cursor=bm9wZQ`)).status, 400);
    });

    test('last_used_at is written in the background', async () => {
      const { key, id } = await createKey(tenantA, { name: 'used' });
      const before = await json(await get(`/admin/v1/tenants/${tenantA}/api-keys/${id}`));
      assert.equal(before.last_used_at, null);
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(key) })).status, 200);
      let lastUsed: unknown = null;
      for (let i = 0; i < 30 && !lastUsed; i++) {
        await sleep(100);
        lastUsed = (await json(await get(`/admin/v1/tenants/${tenantA}/api-keys/${id}`))).last_used_at;
      }
      assert.ok(lastUsed, 'last_used_at was set');
    });

    test('bad input in every field is a 400, never a 500', async () => {
      const base = `/admin/v1/tenants/${tenantA}/api-keys`;
      const injection = "x'; DROP TABLE auth_api_keys; --";
      const bodies: unknown[] = [
        { name: 'x'.repeat(201) },
        { name: '' },
        { name: 'nul\u0000byte' },
        { name: 'ok', scopes: ['root'] },
        { name: 'ok', scopes: [injection] },
        { name: 'ok', role: injection },
        { name: 'ok', role: 'superadmin' },
        { name: 'ok', team_id: injection },
        { name: 'ok', team_id: 'x'.repeat(65) },
        { name: 'ok', expires_at: injection },
        { name: 'ok', expires_in_days: -1 },
        { name: 'ok', expires_in_days: 1, expires_at: new Date(Date.now() + 86_400_000).toISOString() },
        { name: 'ok', limits: { requestsPerMinute: 'lots' } },
        { name: 'ok', limits: { [injection]: 1 } },
        { name: 'ok', budgets: { dailyHardMicros: 1.5 } },
        { name: 'ok', extra: 1 },
        { name: 'ok', superadmin: 'yes' },
        [],
        'string',
      ];
      for (const body of bodies) {
        const res = await post(base, body);
        assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${res.status} ${await res.text()}`);
      }
      const paths = [
        `/admin/v1/tenants/${encodeURIComponent(injection)}/api-keys`,
        `/admin/v1/tenants/${'t'.repeat(300)}/api-keys`,
        `${base}/${encodeURIComponent(injection)}`,
        `${base}?status=${encodeURIComponent(injection)}`,
        `${base}?limit=1000`,
        `${base}?q=${'x'.repeat(300)}`,
        `${base}?user_id=${encodeURIComponent(injection)}`,
        `${base}?cursor=${'x'.repeat(500)}`,
      ];
      for (const path of paths) {
        const res = await get(path);
        assert.equal(res.status, 400, `${path.slice(0, 80)} → ${res.status} ${await res.text()}`);
      }
      const raw = await gw.fetch(base, {
        method: 'POST',
        headers: bearer(admin, { 'content-type': 'application/json' }),
        body: '{"name": ',
      });
      assert.equal(raw.status, 400);
      // Quotes and SQL in a free-text name are just text: stored verbatim, nothing executed.
      const stored = await post(base, { name: injection });
      assert.equal(stored.status, 201);
      assert.equal((await json(stored)).name, injection);
      assert.equal((await get(base)).status, 200, 'the table is still there');
    });
  });
}
