/**
 * The tenancy admin API end to end, on the embedded default (SQLite + memory) and on PostgreSQL +
 * Redis: tenant CRUD, pagination, settings, users, members, teams, audit, /me and the tenant hook.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_VERSIONS } from '@aihub/core/plugin-api';
import { DIALECTS, call, member, startHarness, superadmin, type Harness } from './support';

for (const kind of DIALECTS) {
  describe(`tenancy admin API on ${kind}`, () => {
    let h: Harness;
    const su = superadmin();
    before(async () => {
      h = await startHarness(kind);
    });
    after(async () => {
      await h?.close();
    });

    const createTenant = async (slug: string, extra: Record<string, unknown> = {}) => {
      const r = await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: `Tenant ${slug}`, slug, ...extra });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; slug: string; settings: Record<string, unknown> };
    };

    it('creates, reads, updates and deletes tenants as superadmin', async () => {
      const t = await createTenant('crud-one', {
        plan: 'pro',
        settings: { allowedModels: ['gpt-4o-mini'], retentionDays: 30 },
      });
      assert.match(t.id, /^ten_[0-9a-z]{26}$/);
      const got = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}`, su);
      assert.equal(got.status, 200);
      assert.equal(got.body.slug, 'crud-one');
      assert.equal(got.body.plan, 'pro');
      // A new tenant is pinned to the current API version.
      assert.deepEqual(got.body.settings, {
        allowedModels: ['gpt-4o-mini'],
        retentionDays: 30,
        apiVersion: API_VERSIONS[API_VERSIONS.length - 1],
      });

      const dup = await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Again', slug: 'crud-one' });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.code, 'slug_taken');
      assert.match(String(dup.headers.get('content-type')), /application\/problem\+json/);

      const badPlan = await call(h.gw, 'POST', '/admin/v1/tenants', su, {
        name: 'X',
        slug: 'bad-plan',
        plan: 'platinum',
      });
      assert.equal(badPlan.status, 400);
      assert.equal(badPlan.body.code, 'unknown_plan');

      const badSlug = await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'X', slug: 'Not A Slug' });
      assert.equal(badSlug.status, 400);
      assert.equal(badSlug.body.code, 'validation_failed');

      const patched = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}`, su, {
        name: 'Renamed',
        slug: 'crud-renamed',
        plan: 'enterprise',
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.name, 'Renamed');
      assert.equal(patched.body.plan, 'enterprise');

      const del = await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}`, su);
      assert.equal(del.status, 204);
      const gone = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}`, su);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 'tenant_not_found');
      // The deletion itself is audited and the tenant's audit trail outlives it.
      const audit = await call(h.gw, 'GET', `/admin/v1/audit?tenant_id=${t.id}`, su);
      assert.deepEqual(
        (audit.body.data as { action: string }[]).map((e) => e.action),
        ['tenant.delete', 'tenant.update', 'tenant.create'],
      );
    });

    it('lists tenants with stable cursor pagination and filters', async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await createTenant(`page-${i}`)).id);
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${made[3]}`, su, { status: 'suspended' });
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r = await call(h.gw, 'GET', `/admin/v1/tenants?limit=3&q=page-${cursor ? `&cursor=${cursor}` : ''}`, su);
        assert.equal(r.status, 200);
        const data = r.body.data as { id: string }[];
        assert.ok(data.length <= 3);
        seen.push(...data.map((d) => d.id));
        cursor = r.body.next_cursor as string | null;
        // A tenant created mid-way must not shift or repeat what the cursor already covered.
        if (pages === 0) made.push((await createTenant('page-late')).id);
        pages++;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, made);
      assert.equal(new Set(seen).size, seen.length);

      const suspended = await call(h.gw, 'GET', '/admin/v1/tenants?status=suspended&q=page', su);
      assert.deepEqual(
        (suspended.body.data as { id: string }[]).map((d) => d.id),
        [made[3]],
      );
      const ci = await call(h.gw, 'GET', '/admin/v1/tenants?q=PAGE-6', su);
      assert.deepEqual(
        (ci.body.data as { id: string }[]).map((d) => d.id),
        [made[6]],
      );
      const badCursor = await call(h.gw, 'GET', '/admin/v1/tenants?cursor=not-a-cursor', su);
      assert.equal(badCursor.status, 400);
      assert.equal(badCursor.body.code, 'invalid_cursor');
      const badLimit = await call(h.gw, 'GET', '/admin/v1/tenants?limit=1000', su);
      assert.equal(badLimit.status, 400);
    });

    it('patches tenant settings with merge semantics, validation and plan bounds', async () => {
      const t = await createTenant('settings-one', { plan: 'free' });
      const owner = member(t.id, 'owner');
      let r = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, owner, {
        allowedModels: ['gpt-4o', 'claude-3-5-sonnet'],
        limits: { requestsPerMinute: 100, tokensPerMinute: 50_000 },
        pii: { redactPrompts: true, hashFields: ['email'] },
        promptTemplates: { greet: 'Hello {{name}}' },
        'acme.feature': { on: true },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      r = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, owner, {
        allowedModels: null,
        retentionDays: 7,
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.settings, {
        limits: { requestsPerMinute: 100, tokensPerMinute: 50_000 },
        pii: { redactPrompts: true, hashFields: ['email'] },
        promptTemplates: { greet: 'Hello {{name}}' },
        'acme.feature': { on: true },
        retentionDays: 7,
        apiVersion: API_VERSIONS[API_VERSIONS.length - 1],
      });
      const invalid = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, owner, {
        limits: { requestsPerMinute: -1 },
      });
      assert.equal(invalid.status, 400);
      const unknownLimit = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, owner, {
        limits: { perSecond: 5 },
      });
      assert.equal(unknownLimit.status, 400);
      const badKey = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, owner, { 'bad key!': 1 });
      assert.equal(badKey.status, 400);
      const read = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/settings`, member(t.id, 'viewer'));
      assert.equal(read.status, 200);
      assert.equal((read.body.settings as { retentionDays: number }).retentionDays, 7);
    });

    it('refuses limits above the plan bound for tenant admins, not for superadmins', async () => {
      const h2 = await startHarness(kind, {
        password: { scryptN: 1024 },
        plans: { small: { limits: { requestsPerMinute: 60 } } },
        defaultPlan: 'small',
      });
      try {
        const t = await call(h2.gw, 'POST', '/admin/v1/tenants', su, { name: 'Small', slug: 'small-one' });
        assert.equal(t.status, 201);
        const id = t.body.id as string;
        const over = await call(h2.gw, 'PATCH', `/admin/v1/tenants/${id}/settings`, member(id, 'admin'), {
          limits: { requestsPerMinute: 61 },
        });
        assert.equal(over.status, 400);
        assert.equal(over.body.code, 'exceeds_plan');
        const ok = await call(h2.gw, 'PATCH', `/admin/v1/tenants/${id}/settings`, member(id, 'admin'), {
          limits: { requestsPerMinute: 60 },
        });
        assert.equal(ok.status, 200);
        const su2 = await call(h2.gw, 'PATCH', `/admin/v1/tenants/${id}/settings`, su, {
          limits: { requestsPerMinute: 1000 },
        });
        assert.equal(su2.status, 200);
      } finally {
        await h2.close();
      }
    });

    it('manages platform users as superadmin without ever returning password hashes', async () => {
      const created = await call(h.gw, 'POST', '/admin/v1/users', su, {
        email: 'Alice@Example.COM',
        password: 'correct horse battery',
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.email, 'alice@example.com');
      assert.equal(created.body.has_password, true);
      assert.match(created.body.id as string, /^usr_/);
      const id = created.body.id as string;
      const dup = await call(h.gw, 'POST', '/admin/v1/users', su, { email: 'ALICE@example.com' });
      assert.equal(dup.status, 409);
      const short = await call(h.gw, 'POST', '/admin/v1/users', su, { email: 'bob@example.com', password: 'short' });
      assert.equal(short.status, 400);
      assert.equal(short.body.code, 'invalid_password');
      const badEmail = await call(h.gw, 'POST', '/admin/v1/users', su, { email: 'not-an-email' });
      assert.equal(badEmail.status, 400);

      const t = await createTenant('users-home');
      await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, su, {
        email: 'alice@example.com',
        role: 'developer',
      });
      const got = await call(h.gw, 'GET', `/admin/v1/users/${id}`, su);
      assert.equal(got.status, 200);
      assert.deepEqual(
        (got.body.memberships as { tenant_id: string; role: string }[]).map((m) => [m.tenant_id, m.role]),
        [[t.id, 'developer']],
      );
      const list = await call(h.gw, 'GET', '/admin/v1/users?q=alice', su);
      assert.deepEqual(
        (list.body.data as { id: string }[]).map((u) => u.id),
        [id],
      );
      const patched = await call(h.gw, 'PATCH', `/admin/v1/users/${id}`, su, { status: 'disabled', password: null });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.status, 'disabled');
      assert.equal(patched.body.has_password, false);

      for (const body of [created.body, got.body, list.body, patched.body]) {
        const text = JSON.stringify(body);
        assert.ok(!/password_hash|passwordHash|scrypt\$/.test(text), `leaked a hash: ${text}`);
      }
      const self = await call(h.gw, 'DELETE', `/admin/v1/users/${su.principal.userId}`, su);
      assert.equal(self.status, 409);
      const del = await call(h.gw, 'DELETE', `/admin/v1/users/${id}`, su);
      assert.equal(del.status, 204);
      assert.equal((await call(h.gw, 'GET', `/admin/v1/users/${id}`, su)).status, 404);
      const members = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/members`, su);
      assert.deepEqual(members.body.data, []);
    });

    it('lets tenant admins manage members and teams, but only owners touch the owner role', async () => {
      const t = await createTenant('members-one');
      const owner = member(t.id, 'owner');
      const admin = member(t.id, 'admin');
      const team = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/teams`, admin, {
        name: 'Platform',
        description: 'infra',
      });
      assert.equal(team.status, 201);
      assert.match(team.body.id as string, /^team_/);
      const dupTeam = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/teams`, admin, { name: 'Platform' });
      assert.equal(dupTeam.status, 409);

      // A tenant admin adding by e-mail gets an invitation (the person must accept); a superadmin adds directly.
      const invited = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, admin, {
        email: 'dev@members.test',
        role: 'developer',
        team_id: team.body.id,
      });
      assert.equal(invited.status, 202, JSON.stringify(invited.body));
      assert.equal(invited.body.status, 'pending');
      const added = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, su, {
        email: 'dev@members.test',
        role: 'developer',
        team_id: team.body.id,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.team_id, team.body.id);
      const userId = added.body.user_id as string;
      const again = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, admin, {
        email: 'DEV@members.test',
        role: 'viewer',
      });
      assert.equal(again.status, 409);

      // admin may not grant owner; owner may.
      const grant = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/members/${userId}`, admin, { role: 'owner' });
      assert.equal(grant.status, 403);
      const addOwner = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, admin, {
        email: 'boss@members.test',
        role: 'owner',
      });
      assert.equal(addOwner.status, 403);
      const ownerGrant = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/members/${userId}`, owner, {
        role: 'owner',
      });
      assert.equal(ownerGrant.status, 200);
      assert.equal(ownerGrant.body.role, 'owner');
      // ... nor demote or remove an owner.
      assert.equal(
        (await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/members/${userId}`, admin, { role: 'viewer' })).status,
        403,
      );
      assert.equal((await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}/members/${userId}`, admin)).status, 403);
      // The last owner stays.
      const last = await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}/members/${userId}`, owner);
      assert.equal(last.status, 409);
      assert.equal(last.body.code, 'last_owner');
      assert.equal(
        (
          await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, owner, {
            email: 'boss@members.test',
            role: 'owner',
          })
        ).status,
        202,
        'an owner may invite an owner',
      );
      const second = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, su, {
        email: 'boss@members.test',
        role: 'owner',
      });
      assert.equal(second.status, 201);
      assert.equal(
        (await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/members/${userId}`, owner, { role: 'admin' })).status,
        200,
      );

      const list = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/members?role=owner`, admin);
      assert.deepEqual(
        (list.body.data as { email: string }[]).map((m) => m.email),
        ['boss@members.test'],
      );

      // A team of another tenant cannot be assigned.
      const other = await createTenant('members-other');
      const foreignTeam = await call(h.gw, 'POST', `/admin/v1/tenants/${other.id}/teams`, su, { name: 'Foreign' });
      const cross = await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/members/${userId}`, admin, {
        team_id: foreignTeam.body.id,
      });
      assert.equal(cross.status, 400);
      assert.equal(cross.body.code, 'team_not_found');

      // Deleting the team keeps its members.
      assert.equal(
        (await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/teams/${team.body.id}`, admin, { name: 'Platform 2' }))
          .body.name,
        'Platform 2',
      );
      assert.equal((await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}/teams/${team.body.id}`, admin)).status, 204);
      const afterDelete = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/members/${userId}`, admin);
      assert.equal(afterDelete.status, 200);
      assert.equal(afterDelete.body.team_id, null);
      assert.equal((await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}/members/${userId}`, owner)).status, 204);
    });

    it('records every admin write in the audit log, masked and filterable', async () => {
      const t = await createTenant('audit-one');
      const admin = member(t.id, 'admin', { keyId: 'key_audit', subject: 'key_audit' });
      const team = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/teams`, admin, { name: 'Audited' });
      const requestId = team.headers.get('x-request-id');
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/settings`, admin, {
        limits: { tokensPerMinute: 1000 },
        'vendor.config': {
          apiToken: 'tok-123',
          clientSecret: 's3cr3t',
          password: 'hunter2',
          nested: [{ keyHash: 'abc' }],
        },
      });
      const since = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}/teams/${team.body.id}`, admin, { name: 'Audited 2' });

      const all = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/audit`, admin);
      assert.equal(all.status, 200);
      const entries = all.body.data as Record<string, unknown>[];
      assert.deepEqual(
        entries.map((e) => e.action),
        ['team.update', 'tenant.settings.update', 'team.create', 'tenant.create'],
      );
      const create = entries[2];
      assert.equal(create.actor_type, 'api_key');
      assert.equal(create.actor_id, 'key_audit');
      assert.equal(create.target_type, 'team');
      assert.equal(create.target_id, team.body.id);
      assert.equal(create.request_id, requestId);
      assert.equal(create.ip, '127.0.0.1');
      const settings = entries[1].after as Record<string, unknown>;
      assert.deepEqual(settings['vendor.config'], {
        apiToken: '***',
        clientSecret: '***',
        password: '***',
        nested: [{ keyHash: '***' }],
      });
      assert.deepEqual(settings.limits, { tokensPerMinute: 1000 }, 'counts named *tokens* are not secrets');
      const text = JSON.stringify(all.body);
      for (const secret of ['tok-123', 's3cr3t', 'hunter2'])
        assert.ok(!text.includes(secret), `audit leaked ${secret}`);

      const byAction = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/audit?action=team.create`, admin);
      assert.deepEqual(
        (byAction.body.data as { action: string }[]).map((e) => e.action),
        ['team.create'],
      );
      const byType = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/audit?target_type=team`, admin);
      assert.equal((byType.body.data as unknown[]).length, 2);
      const byActor = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/audit?actor=key_audit`, admin);
      assert.equal((byActor.body.data as unknown[]).length, 3);
      const bySince = await call(
        h.gw,
        'GET',
        `/admin/v1/tenants/${t.id}/audit?since=${encodeURIComponent(since)}`,
        admin,
      );
      assert.deepEqual(
        (bySince.body.data as { action: string }[]).map((e) => e.action),
        ['team.update'],
      );
      const byUntil = await call(
        h.gw,
        'GET',
        `/admin/v1/tenants/${t.id}/audit?until=${encodeURIComponent(since)}`,
        admin,
      );
      assert.equal((byUntil.body.data as unknown[]).length, 3);
      const badSince = await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}/audit?since=yesterday-ish`, admin);
      assert.equal(badSince.status, 400);

      // Pagination: newest first, no repeats, same set as one big page.
      const pageIds: string[] = [];
      let cursor: string | null = null;
      do {
        const r = await call(
          h.gw,
          'GET',
          `/admin/v1/tenants/${t.id}/audit?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          admin,
        );
        pageIds.push(...(r.body.data as { id: string }[]).map((e) => e.id));
        cursor = r.body.next_cursor as string | null;
      } while (cursor);
      assert.deepEqual(
        pageIds,
        entries.map((e) => e.id),
      );

      // User creation (platform) masks the password in the platform log.
      const u = await call(h.gw, 'POST', '/admin/v1/users', su, {
        email: 'audited@example.com',
        password: 'a very long password',
      });
      const platform = await call(h.gw, 'GET', `/admin/v1/audit?action=user.create&target_type=user`, su);
      const entry = (
        platform.body.data as { target_id: string; tenant_id: string | null; after: Record<string, unknown> }[]
      ).find((e) => e.target_id === u.body.id);
      assert.ok(entry);
      assert.equal(entry.tenant_id, null);
      assert.equal(entry.after.password, '***');
      assert.ok(!JSON.stringify(platform.body).includes('a very long password'));
    });

    it('resolves the tenant on authenticated routes and refuses suspended tenants at once', async () => {
      const t = await createTenant('hook-one');
      const key = member(t.id, 'developer', { scopes: ['ai:invoke'] });
      const ok = await call(h.gw, 'GET', '/v1/ping', key);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { tenant: t.id, scope: t.id, log_tenant: t.id });
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}`, su, { status: 'suspended' });
      const blocked = await call(h.gw, 'GET', '/v1/ping', key);
      assert.equal(blocked.status, 403);
      assert.equal((blocked.body.error as { code: string }).code, 'tenant_suspended');
      // A suspended tenant's admins are blocked on the admin API too; the superadmin is not.
      assert.equal((await call(h.gw, 'GET', `/admin/v1/tenants/${t.id}`, member(t.id, 'owner'))).status, 403);
      await call(h.gw, 'PATCH', `/admin/v1/tenants/${t.id}`, su, { status: 'active' });
      assert.equal((await call(h.gw, 'GET', '/v1/ping', key)).status, 200);
      // A credential of a deleted tenant stops working.
      await call(h.gw, 'DELETE', `/admin/v1/tenants/${t.id}`, su);
      const deleted = await call(h.gw, 'GET', '/v1/ping', key);
      assert.equal(deleted.status, 401);
      assert.equal((deleted.body.error as { code: string }).code, 'tenant_not_found');
      const noAuth = await call(h.gw, 'GET', '/v1/ping');
      assert.equal(noAuth.status, 401);
    });

    it('describes the caller on /admin/v1/me', async () => {
      const t = await createTenant('me-one');
      const added = await call(h.gw, 'POST', `/admin/v1/tenants/${t.id}/members`, su, {
        email: 'me@example.com',
        role: 'viewer',
      });
      const userId = added.body.user_id as string;
      const me = await call(
        h.gw,
        'GET',
        '/admin/v1/me',
        member(t.id, 'viewer', { kind: 'session', subject: userId, userId, scopes: ['admin:read'] }),
      );
      assert.equal(me.status, 200);
      assert.equal((me.body.principal as { role: string }).role, 'viewer');
      assert.equal((me.body.tenant as { id: string }).id, t.id);
      assert.deepEqual([...(me.body.permissions as string[])].sort(), [
        'events:read',
        'teams:read',
        'tenants:read',
        'usage:read',
      ]);
      assert.deepEqual(
        (me.body.memberships as { tenant_id: string; role: string }[]).map((m) => [m.tenant_id, m.role]),
        [[t.id, 'viewer']],
      );
      assert.equal((me.body.user as { email: string }).email, 'me@example.com');
      assert.ok(!JSON.stringify(me.body).includes('scrypt$'));
      assert.equal((await call(h.gw, 'GET', '/admin/v1/me')).status, 401);
    });

    it('exports tenancy metrics without tenant labels', async () => {
      const text = await (await h.gw.fetch('/metrics')).text();
      const value = (line: string) =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith(line))
            ?.split(' ')
            .pop(),
        );
      assert.ok(value('aihub_tenancy_tenant_lookups_total{result="hit"}') >= 1, text);
      assert.ok(value('aihub_tenancy_tenant_lookups_total{result="miss"}') >= 1);
      assert.ok(value('aihub_tenancy_requests_rejected_total{reason="suspended"}') >= 1);
      assert.ok(value('aihub_tenancy_audit_entries_total') >= 10);
      assert.ok(text.includes('aihub_tenancy_directory_entries'));
      assert.ok(!/aihub_tenancy_[^\n]*ten_/.test(text), 'no tenant ids in tenancy metrics');
    });

    it('documents every tenancy route in /admin/v1/openapi.json', async () => {
      const r = await h.gw.fetch('/admin/v1/openapi.json');
      const doc = (await r.json()) as {
        paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
      };
      for (const p of [
        '/admin/v1/tenants',
        '/admin/v1/tenants/{tenantId}',
        '/admin/v1/tenants/{tenantId}/settings',
        '/admin/v1/users',
        '/admin/v1/users/{userId}',
        '/admin/v1/tenants/{tenantId}/members/{userId}',
        '/admin/v1/tenants/{tenantId}/teams/{teamId}',
        '/admin/v1/tenants/{tenantId}/audit',
        '/admin/v1/audit',
        '/admin/v1/me',
      ]) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
      assert.ok(doc.paths['/admin/v1/tenants'].post.requestBody);
      assert.ok(doc.paths['/admin/v1/tenants'].get.parameters?.some((x) => x.name === 'cursor'));
    });
  });
}
