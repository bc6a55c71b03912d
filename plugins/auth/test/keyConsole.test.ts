import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import { bearer, createEnv, json, newAdminKey, startAuthGateway, withSql, type Backend, type Env } from './helpers';

/** What the console's key screens need: search, filters, every sort with keyset paging, owners, allowed models, rotation. */
const BACKENDS: Backend[] = ['sqlite', 'postgres'];

interface KeyOut {
  id: string;
  name: string;
  key: string;
  status: string;
  user_id: string | null;
  owner?: { email: string; display_name: string | null } | null;
  team_id: string | null;
  last_used_at: string | null;
  expires_at: string | null;
  created_at: string;
  allowed_models: string[] | null;
  rotated_from: string | null;
  replaced_by: string | null;
}

for (const backend of BACKENDS) {
  describe(`API keys for the console (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenant: string;
    let other: string;
    let member: string;
    let viewer: string;
    let team: string;
    const keys: KeyOut[] = [];

    const send = (method: string, path: string, body?: unknown, key = admin) =>
      gw.fetch(path, {
        method,
        headers: bearer(key, { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const base = () => `/admin/v1/tenants/${tenant}/api-keys`;

    async function create(body: Record<string, unknown>, key = admin): Promise<KeyOut> {
      const res = await send('POST', base(), body, key);
      const out = await json(res);
      assert.equal(res.status, 201, JSON.stringify(out));
      return out as unknown as KeyOut;
    }

    /** Every page of a listing, following next_cursor. */
    async function all(query: string, limit = 3): Promise<KeyOut[]> {
      const out: KeyOut[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const res = await send(
          'GET',
          `${base()}?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const page = await json(res);
        assert.equal(res.status, 200, JSON.stringify(page));
        out.push(...(page.data as KeyOut[]));
        assert.equal(page.has_more, page.next_cursor !== null);
        cursor = page.next_cursor as string | null;
        if (!cursor) return out;
      }
      throw new Error('paging did not end');
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin });
      const list = await json(await send('GET', '/admin/v1/tenants'));
      tenant = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      other = (
        (await json(await send('POST', '/admin/v1/tenants', { name: 'Other', slug: 'other' }))) as { id: string }
      ).id;
      member = (
        (await json(
          await send('POST', `/admin/v1/tenants/${tenant}/members`, { email: 'dev@example.com', role: 'developer' }),
        )) as { user_id: string }
      ).user_id;
      viewer = (
        (await json(
          await send('POST', `/admin/v1/tenants/${tenant}/members`, { email: 'viewer@example.com', role: 'viewer' }),
        )) as { user_id: string }
      ).user_id;
      team = (
        (await json(await send('POST', `/admin/v1/tenants/${tenant}/teams`, { name: 'Search' }))) as { id: string }
      ).id;
      // Ten keys: some owned by the member, some in the team, some never used, some without expiry.
      for (let i = 0; i < 10; i++) {
        keys.push(
          await create({
            name: `${['alpha', 'Bravo', 'charlie', 'delta', 'echo'][i % 5]} ${i}`,
            ...(i % 3 === 0 ? { user_id: member } : {}),
            ...(i % 2 === 0 ? { team_id: team } : {}),
            ...(i % 4 !== 0 ? { expires_in_days: 1 + (i % 3) } : {}),
          }),
        );
      }
      // Spread last_used_at (with ties and NULLs) and created_at (with a tie) so every sort has edge cases.
      await withSql(env, async (sql) => {
        for (const [i, k] of keys.entries()) {
          const used = i % 3 === 1 ? null : new Date(Date.UTC(2026, 0, 1 + (i % 4)));
          await sql.query(`UPDATE auth_api_keys SET last_used_at = :used, created_at = :created WHERE id = :id`, {
            replacements: { used, created: new Date(Date.UTC(2026, 0, 1, 0, 0, i === 5 ? 4 : i)), id: k.id },
          });
        }
      });
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    const ids = (xs: KeyOut[]) => xs.map((k) => k.id);
    const mine = (xs: KeyOut[]) => xs.filter((k) => keys.some((x) => x.id === k.id));

    test('every sort pages through all keys exactly once, in order, NULLs where they mean something', async () => {
      const fresh = await all('', 50);
      const byId = new Map(fresh.map((k) => [k.id, k]));
      const time = (v: string | null) => (v === null ? null : Date.parse(v));
      const cmp = (col: keyof KeyOut, desc: boolean, nullLow: boolean) => (a: KeyOut, b: KeyOut) => {
        const av = col === 'name' ? a.name : time(a[col] as string | null);
        const bv = col === 'name' ? b.name : time(b[col] as string | null);
        let c: number;
        if (av === null || bv === null) c = av === bv ? 0 : av === null ? (nullLow ? -1 : 1) : nullLow ? 1 : -1;
        else c = av < bv ? -1 : av > bv ? 1 : 0;
        if (c === 0) c = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
        return desc ? -c : c;
      };
      const sorts: [string, keyof KeyOut, boolean][] = [
        ['created_at', 'created_at', false],
        ['last_used_at', 'last_used_at', true],
        ['expires_at', 'expires_at', false],
      ];
      for (const [sort, col, nullLow] of sorts) {
        for (const desc of [false, true]) {
          const got = mine(await all(`sort=${desc ? '-' : ''}${sort}`));
          const want = [...keys].map((k) => byId.get(k.id)!).sort(cmp(col, desc, nullLow));
          assert.deepEqual(ids(got), ids(want), `${desc ? '-' : ''}${sort}`);
        }
      }
      // Names: compare against the database's own collation only through completeness and monotonic pages.
      for (const sort of ['name', '-name']) {
        const got = mine(await all(`sort=${sort}`));
        assert.equal(new Set(ids(got)).size, keys.length, sort);
      }
      const never = mine(await all('sort=-last_used_at'));
      assert.equal(never.at(-1)!.last_used_at, null, 'most recently used first; never-used keys last');
      const noExpiry = mine(await all('sort=expires_at'));
      assert.equal(noExpiry.at(-1)!.expires_at, null, 'soonest expiry first; keys that never expire last');
    });

    test('search by name substring or key id prefix; filter by owner, team and status', async () => {
      const bravo = mine(await all('q=BRAV'));
      assert.deepEqual(bravo.map((k) => k.name).sort(), ['Bravo 1', 'Bravo 6']);
      const target = keys[7];
      assert.deepEqual(ids(await all(`q=ahk_${target.id.slice(0, 8)}`)), [target.id]);
      assert.deepEqual(ids(await all(`q=${target.id.slice(0, 10)}`)), [target.id]);
      assert.equal((await all('q=%25')).length, 0, '% is plain text');
      const owned = await all(`owner=${member}`);
      assert.deepEqual(ids(owned).sort(), ids(keys.filter((_, i) => i % 3 === 0)).sort());
      assert.ok(owned.every((k) => k.user_id === member));
      const inTeam = mine(await all(`team_id=${team}&sort=name`));
      assert.deepEqual(ids(inTeam).sort(), ids(keys.filter((_, i) => i % 2 === 0)).sort());
      const combined = await all(`owner=${member}&team_id=${team}&q=alpha`);
      assert.deepEqual(ids(combined), [keys[0].id]);
      await send('DELETE', `${base()}/${keys[9].id}`);
      const revoked = await all('status=revoked');
      assert.deepEqual(ids(revoked), [keys[9].id]);
      assert.ok(!ids(mine(await all('status=active'))).includes(keys[9].id));
    });

    test("the list names each key's owner (one batched, tenant-scoped lookup): e-mail, display name; a former member is not named", async () => {
      const listed = new Map(mine(await all('', 4)).map((k) => [k.id, k]));
      for (const [i, k] of keys.entries()) {
        const got = listed.get(k.id)?.owner;
        if (i % 3 === 0) assert.deepEqual(got, { email: 'dev@example.com', display_name: null }, k.name);
        else
          assert.equal(
            got?.email,
            'admin@aihub.local',
            `${k.name}: owned by the bootstrap admin, the default tenant's owner`,
          );
      }
      await withSql(env, (sql) =>
        sql.query(`UPDATE tenancy_users SET display_name = 'Dev Person' WHERE id = :id`, {
          replacements: { id: member },
        }),
      );
      const named = await all(`owner=${member}`, 50);
      assert.ok(
        named.length > 0 &&
          named.every((k) => k.owner?.display_name === 'Dev Person' && k.owner.email === 'dev@example.com'),
      );
      const one = (await json(await send('GET', `${base()}/${named[0].id}`))) as unknown as KeyOut;
      assert.deepEqual(
        one.owner,
        { email: 'dev@example.com', display_name: 'Dev Person' },
        "the key's own page names its owner too",
      );
      // An owner who left the tenant (and may be a member elsewhere) is not named by this tenant's list.
      const leaver = (
        (await json(
          await send('POST', `/admin/v1/tenants/${tenant}/members`, { email: 'leaver@example.com', role: 'developer' }),
        )) as { user_id: string }
      ).user_id;
      const leaversKey = await create({ name: 'leaver key', user_id: leaver });
      assert.equal((await all(`owner=${leaver}`))[0].owner?.email, 'leaver@example.com');
      assert.equal(
        (await send('POST', `/admin/v1/tenants/${other}/members`, { email: 'leaver@example.com', role: 'developer' }))
          .status,
        201,
      );
      assert.equal((await send('DELETE', `/admin/v1/tenants/${tenant}/members/${leaver}`)).status, 204);
      const after = await all(`owner=${leaver}`);
      assert.deepEqual(ids(after), [leaversKey.id]);
      assert.equal(after[0].owner, null);
      assert.equal(((await json(await send('GET', `${base()}/${leaversKey.id}`))) as unknown as KeyOut).owner, null);
    });

    test('cursors are checked: another sort, or garbage, is 400 invalid_cursor', async () => {
      const page = await json(await send('GET', `${base()}?limit=2&sort=name`));
      const res = await send('GET', `${base()}?limit=2&sort=created_at&cursor=${page.next_cursor}`);
      const body = await json(res);
      assert.equal(res.status, 400);
      assert.equal(body.code, 'invalid_cursor');
      assert.match(body.detail as string, /sort=name/);
      assert.equal(
        (await send('GET', `${base()}?cursor=${Buffer.from('k1:name:abc:d12').toString('base64url')}&sort=name`))
          .status,
        400,
      );
      assert.equal((await send('GET', `${base()}?sort=bogus`)).status, 400);
      assert.equal((await send('GET', `${base()}?owner=a&user_id=b`)).status, 400);
    });

    test('create for another member: must be a member, role not above theirs, and only admins may do it', async () => {
      const forViewer = await send('POST', base(), { name: 'x', user_id: viewer, role: 'developer' });
      assert.equal(forViewer.status, 400);
      assert.equal((await json(forViewer)).code, 'role_above_owner');
      const outsider = (
        (await json(
          await send('POST', `/admin/v1/tenants/${other}/members`, { email: 'out@example.com', role: 'owner' }),
        )) as { user_id: string }
      ).user_id;
      const notMember = await send('POST', base(), { name: 'x', user_id: outsider });
      assert.equal(notMember.status, 400);
      assert.equal((await json(notMember)).code, 'owner_not_member');
      const ok = await create({ name: 'for viewer', user_id: viewer, role: 'viewer' });
      assert.equal(ok.user_id, viewer);
      const dev = await create({
        name: 'dev admin key',
        role: 'developer',
        scopes: ['admin:read', 'admin:write', 'ai:invoke'],
      });
      const denied = await send('POST', base(), { name: 'x', user_id: member }, dev.key);
      assert.equal(denied.status, 403);
    });

    test('allowed_models: stored, shown, changeable, deduplicated, carried on the Principal', async () => {
      const k = await create({ name: 'limited', allowed_models: ['gpt-4o-mini', 'gpt-4o-mini', 'embed'] });
      assert.deepEqual(k.allowed_models, ['gpt-4o-mini', 'embed']);
      const who = await json(await gw.fetch('/v1/probe/whoami', { headers: bearer(k.key) }));
      assert.deepEqual((who.principal as { allowedModels?: string[] }).allowedModels, ['gpt-4o-mini', 'embed']);
      const cleared = await json(await send('PATCH', `${base()}/${k.id}`, { allowed_models: null }));
      assert.equal(cleared.allowed_models, null);
      const who2 = await json(await gw.fetch('/v1/probe/whoami', { headers: bearer(k.key) }));
      assert.equal(
        (who2.principal as { allowedModels?: string[] }).allowedModels,
        undefined,
        'the change applies at once',
      );
      assert.equal((await send('POST', base(), { name: 'x', allowed_models: [] })).status, 400);
    });

    test("allowed_models within the tenant's (issue 14 item 7): a model outside the tenant's allow-list is a 400", async () => {
      assert.equal(
        (await send('PATCH', `/admin/v1/tenants/${other}/settings`, { allowedModels: ['gpt-4o-mini', 'embed'] }))
          .status,
        200,
      );
      const otherBase = `/admin/v1/tenants/${other}/api-keys`;
      const refused = await send('POST', otherBase, { name: 'wide', allowed_models: ['gpt-4o-mini', 'gpt-4o'] });
      assert.equal(refused.status, 400);
      const problem = await json(refused);
      assert.equal(problem.code, 'model_not_in_tenant');
      assert.match(String(problem.detail), /`gpt-4o` is not among them/);
      const inside = await send('POST', otherBase, { name: 'narrow', allowed_models: ['embed', '*'] });
      assert.equal(inside.status, 201);
      const k = await json(inside);
      assert.equal((await send('PATCH', `${otherBase}/${k.id}`, { allowed_models: ['o1'] })).status, 400);
      assert.equal((await send('PATCH', `${otherBase}/${k.id}`, { allowed_models: ['gpt-4o-mini'] })).status, 200);
    });

    test('rotate: a new key shown once with the same settings; the old one stops now, or after the grace', async () => {
      const k = await create({
        name: 'rotating',
        team_id: team,
        allowed_models: ['m'],
        limits: { requestsPerMinute: 5 },
      });
      const res = await send('POST', `${base()}/${k.id}/rotate`, {});
      const rotated = (await json(res)) as unknown as KeyOut;
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.notEqual(rotated.id, k.id);
      assert.match(rotated.key, /^ahk_/);
      assert.equal(rotated.rotated_from, k.id);
      assert.equal(rotated.team_id, team);
      assert.deepEqual(rotated.allowed_models, ['m']);
      assert.equal(
        (await gw.fetch('/v1/probe/whoami', { headers: bearer(k.key) })).status,
        401,
        'old key stops at once',
      );
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(rotated.key) })).status, 200);
      const old = await json(await send('GET', `${base()}/${k.id}`));
      assert.equal(old.status, 'revoked');
      assert.equal(old.replaced_by, rotated.id);
      assert.ok(
        !JSON.stringify(await json(await send('GET', `${base()}/${rotated.id}`))).includes(rotated.key.slice(17)),
        'never shown again',
      );
      const again = await send('POST', `${base()}/${k.id}/rotate`, {});
      assert.equal(again.status, 409);
      assert.equal((await json(again)).code, 'api_key_not_rotatable');

      const graced = await create({ name: 'graced' });
      const next = (await json(
        await send('POST', `${base()}/${graced.id}/rotate`, { grace_seconds: 3600 }),
      )) as unknown as KeyOut;
      assert.equal(
        (await gw.fetch('/v1/probe/whoami', { headers: bearer(graced.key) })).status,
        200,
        'old key works during the grace',
      );
      assert.equal((await gw.fetch('/v1/probe/whoami', { headers: bearer(next.key) })).status, 200);
      const oldView = await json(await send('GET', `${base()}/${graced.id}`));
      assert.equal(oldView.status, 'active');
      const left = Date.parse(oldView.expires_at as string) - Date.now();
      assert.ok(left > 3500_000 && left <= 3600_000, `expires in about an hour (${left} ms)`);
      const audit = await (await send('GET', `/admin/v1/tenants/${tenant}/audit?action=api_key.rotate`)).text();
      assert.ok(audit.includes(graced.id) && audit.includes(next.id), audit);
      assert.ok(!audit.includes(next.key.slice(17)), 'the audit log never holds the secret');
      assert.equal((await send('POST', `${base()}/${graced.id}/rotate`, { grace_seconds: 8 * 86_400 })).status, 400);
      assert.equal(
        (await send('POST', `/admin/v1/tenants/${other}/api-keys/${next.id}/rotate`, {})).status,
        404,
        "another tenant's key is not found",
      );
    });
  });
}
