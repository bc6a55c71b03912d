/**
 * What the console adds to the tenancy admin API, on SQLite and PostgreSQL: the audit log filtered
 * by target id, team membership seen from the team, and the user's own profile (PATCH /me).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, call, member, principal, startHarness, superadmin, type Harness } from './support';

for (const kind of DIALECTS) {
  describe(`tenancy console API on ${kind}`, () => {
    let h: Harness;
    const su = superadmin();
    let tenant: string;
    let users: Record<string, string>;

    before(async () => {
      h = await startHarness(kind);
      tenant = (
        (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Console', slug: 'console' })).body as { id: string }
      ).id;
      users = {};
      for (const name of ['ann', 'ben', 'cat']) {
        const added = await call(h.gw, 'POST', `/admin/v1/tenants/${tenant}/members`, su, {
          email: `${name}@example.com`,
          role: 'developer',
        });
        assert.equal(added.status, 201, JSON.stringify(added.body));
        users[name] = added.body.user_id as string;
      }
    });
    after(async () => {
      await h?.close();
    });

    it('team members: add (moving from another team), list, remove; audited; checked', async () => {
      const admin = member(tenant, 'admin');
      const red = (await call(h.gw, 'POST', `/admin/v1/tenants/${tenant}/teams`, admin, { name: 'Red' })).body
        .id as string;
      const blue = (await call(h.gw, 'POST', `/admin/v1/tenants/${tenant}/teams`, admin, { name: 'Blue' })).body
        .id as string;
      const path = (team: string, user = '') =>
        `/admin/v1/tenants/${tenant}/teams/${team}/members${user ? `/${user}` : ''}`;
      assert.equal((await call(h.gw, 'PUT', path(red, users.ann), admin)).status, 200);
      const ben = await call(h.gw, 'PUT', path(blue, users.ben), admin);
      assert.equal(ben.body.team_id, blue);
      const moved = await call(h.gw, 'PUT', path(red, users.ben), admin);
      assert.equal(moved.status, 200);
      assert.equal(moved.body.team_id, red, 'one team per member: adding moves');
      const listed = await call(h.gw, 'GET', path(red), admin);
      assert.deepEqual(
        (listed.body.data as { user_id: string }[]).map((m) => m.user_id).sort(),
        [users.ann, users.ben].sort(),
      );
      assert.equal(((await call(h.gw, 'GET', path(blue), admin)).body.data as unknown[]).length, 0);
      assert.equal((await call(h.gw, 'DELETE', path(blue, users.ann), admin)).status, 404, 'ann is not in blue');
      assert.equal((await call(h.gw, 'DELETE', path(red, users.ann), admin)).status, 204);
      const ann = await call(h.gw, 'GET', `/admin/v1/tenants/${tenant}/members/${users.ann}`, admin);
      assert.equal(ann.body.team_id, null, 'still a member, without a team');
      assert.equal((await call(h.gw, 'PUT', path('team_00000000000000000000000000', users.cat), admin)).status, 404);
      const outsider = (
        (await call(h.gw, 'POST', '/admin/v1/users', su, { email: 'out@example.com' })).body as { id: string }
      ).id;
      assert.equal((await call(h.gw, 'PUT', path(red, outsider), admin)).body.code, 'member_not_found');
      assert.equal((await call(h.gw, 'PUT', path(red, users.cat), member(tenant, 'developer'))).status, 403);
      const other = (
        (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Other', slug: 'other-console' })).body as {
          id: string;
        }
      ).id;
      assert.equal(
        (await call(h.gw, 'GET', `/admin/v1/tenants/${tenant}/teams/${red}/members`, member(other, 'owner'))).status,
        404,
      );
      const audit = await call(h.gw, 'GET', `/admin/v1/tenants/${tenant}/audit?target_id=${red}`, admin);
      const actions = (audit.body.data as { action: string; target_id: string }[]).map((e) => e.action);
      assert.deepEqual(actions, ['team.member_remove', 'team.member_add', 'team.member_add', 'team.create']);
    });

    it('audit log: target_id alone and with target_type and action', async () => {
      const admin = member(tenant, 'admin');
      const team = (await call(h.gw, 'POST', `/admin/v1/tenants/${tenant}/teams`, admin, { name: 'Green' })).body
        .id as string;
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${tenant}/teams/${team}`, admin, { name: 'Greener' });
      const base = `/admin/v1/tenants/${tenant}/audit`;
      const all = await call(h.gw, 'GET', `${base}?target_id=${team}`, admin);
      assert.deepEqual(
        (all.body.data as { action: string }[]).map((e) => e.action),
        ['team.update', 'team.create'],
      );
      const narrowed = await call(h.gw, 'GET', `${base}?target_id=${team}&target_type=team&action=team.update`, admin);
      assert.equal((narrowed.body.data as unknown[]).length, 1);
      assert.equal(
        ((await call(h.gw, 'GET', `${base}?target_id=${team}&target_type=user`, admin)).body.data as unknown[]).length,
        0,
      );
      const platform = await call(h.gw, 'GET', `/admin/v1/audit?target_id=${team}`, su);
      assert.equal((platform.body.data as unknown[]).length, 2);
    });

    it('PATCH /me: display name and preferred language of the signed-in user; validated; not for API keys', async () => {
      const me = principal({
        kind: 'oauth_token',
        subject: users.cat,
        userId: users.cat,
        tenantId: tenant,
        role: 'developer',
      });
      const res = await call(h.gw, 'PATCH', '/admin/v1/me', me, {
        display_name: 'Cat Stevens',
        preferred_language: 'zh-CN',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.display_name, 'Cat Stevens');
      assert.equal(res.body.preferred_language, 'zh-CN');
      const got = await call(h.gw, 'GET', '/admin/v1/me', me);
      assert.equal((got.body.user as { display_name: string }).display_name, 'Cat Stevens');
      const cleared = await call(h.gw, 'PATCH', '/admin/v1/me', me, { display_name: null });
      assert.equal(cleared.body.display_name, null);
      assert.equal(cleared.body.preferred_language, 'zh-CN', 'fields not sent are kept');
      for (const body of [
        {},
        { preferred_language: 'chinese please' },
        { display_name: 'x'.repeat(201) },
        { email: 'new@example.com' },
      ]) {
        const bad = await call(h.gw, 'PATCH', '/admin/v1/me', me, body);
        assert.equal(bad.status, 400, JSON.stringify(body));
      }
      const key = principal({
        kind: 'api_key',
        subject: 'key1',
        userId: users.cat,
        tenantId: tenant,
        role: 'developer',
      });
      assert.equal((await call(h.gw, 'PATCH', '/admin/v1/me', key, { display_name: 'x' })).status, 403);
      assert.equal((await call(h.gw, 'PATCH', '/admin/v1/me', undefined, { display_name: 'x' })).status, 401);
      const audit = await call(h.gw, 'GET', `/admin/v1/audit?target_id=${users.cat}&action=user.profile_update`, su);
      assert.equal((audit.body.data as unknown[]).length, 2);
    });
  });
}
