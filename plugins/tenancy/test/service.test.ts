/**
 * The TENANCY service and TENANT_DIRECTORY as other plugins use them (resolved from the gateway's
 * container), on SQLite and on PostgreSQL + Redis: users, passwords, lockout, memberships, cached
 * tenant lookups and their invalidation across gateway instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Database } from '@aihub/core/plugin-api';
import { CoreTokens } from '@aihub/core/testing';
import { ACCESS_CONTROL, AUDIT_LOG, TENANT_DIRECTORY, type TenantDirectory } from '@aihub/core/plugin-api';
import type { TestGateway } from '@aihub/core/testing';
import { TENANCY, type TenancyService } from '@aihub/plugin-tenancy';
import { DIALECTS, call, member, startHarness, superadmin, type Harness } from './support';

const get = <T>(gw: TestGateway, token: symbol): T => gw.kernel.root.get(token as never) as T;

for (const kind of DIALECTS) {
  describe(`tenancy service on ${kind}`, () => {
    let h: Harness;
    let svc: TenancyService;
    let dir: TenantDirectory;
    before(async () => {
      h = await startHarness(kind, {
        password: { scryptN: 1024 },
        lockout: { threshold: 3, baseMs: 1000, maxMs: 4000 },
      });
      svc = get<TenancyService>(h.gw, TENANCY);
      dir = get<TenantDirectory>(h.gw, TENANT_DIRECTORY);
    });
    after(async () => {
      await h?.close();
    });

    it('provides TENANCY, ACCESS_CONTROL, AUDIT_LOG and TENANT_DIRECTORY to other plugins', () => {
      for (const token of [TENANCY, ACCESS_CONTROL, AUDIT_LOG, TENANT_DIRECTORY])
        assert.ok(get<object>(h.gw, token), String(token));
    });

    it('creates users with hashed passwords and finds them case-insensitively', async () => {
      assert.equal(await svc.countUsers(), 0);
      const u = await svc.createUser({ email: '  Carol@Example.com ', password: 'a long enough password' });
      assert.equal(u.email, 'carol@example.com');
      assert.match(u.passwordHash ?? '', /^scrypt\$1024\$8\$1\$/);
      assert.equal((await svc.findUserByEmail('CAROL@example.COM'))?.id, u.id);
      assert.equal(await svc.findUserByEmail('nobody@example.com'), undefined);
      assert.equal(await svc.verifyPassword(u, 'a long enough password'), true);
      assert.equal(await svc.verifyPassword(u, 'a long enough passwore'), false);
      assert.equal(await svc.dummyVerify(), false);
      const noPassword = await svc.createUser({ email: 'nopass@example.com' });
      assert.equal(noPassword.passwordHash, null);
      assert.equal(await svc.verifyPassword(noPassword, ''), false);
      assert.equal(await svc.countUsers(), 2);
      await assert.rejects(
        () => svc.createUser({ email: 'CAROL@example.com' }),
        (e: { code?: string }) => e.code === 'email_taken',
      );
    });

    it('locks accounts with exponential backoff after repeated failures', async () => {
      const u = await svc.createUser({ email: 'locked@example.com', password: 'a long enough password' });
      assert.deepEqual(await svc.recordLoginFailure(u.id), { failedLogins: 1, lockedUntil: null });
      await svc.recordLoginFailure(u.id);
      assert.equal(svc.isLocked((await svc.getUser(u.id))!), false);
      const durations: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = Date.now();
        const r = await svc.recordLoginFailure(u.id);
        durations.push(Math.round((r.lockedUntil!.getTime() - t0) / 1000));
      }
      assert.deepEqual(durations, [1, 2, 4, 4], 'threshold 3: 1 s, doubling, capped at 4 s');
      const locked = (await svc.getUser(u.id))!;
      assert.equal(locked.failedLogins, 6);
      assert.equal(svc.isLocked(locked), true);
      await svc.recordLoginSuccess(u.id);
      const ok = (await svc.getUser(u.id))!;
      assert.equal(ok.failedLogins, 0);
      assert.equal(ok.lockedUntil, null);
      assert.equal(svc.isLocked(ok), false);
      assert.ok(ok.lastLoginAt && Date.now() - ok.lastLoginAt.getTime() < 60_000);
      assert.deepEqual(await svc.recordLoginFailure('usr_doesnotexist0000000000000'), {
        failedLogins: 0,
        lockedUntil: null,
      });
    });

    it('manages tenants and memberships for the auth plugin', async () => {
      const t = await svc.createTenant({ name: 'Svc', slug: 'svc-one' });
      assert.equal(t.plan, 'free');
      assert.equal((await svc.getTenantBySlug('SVC-ONE'))?.id, t.id);
      const u = (await svc.findUserByEmail('carol@example.com'))!;
      const team = await svc.createTeam(t.id, { name: 'core' });
      await svc.addMembership({ tenantId: t.id, userId: u.id, role: 'admin', teamId: team.id });
      assert.equal(await svc.roleOf(u.id, t.id), 'admin');
      const other = await svc.createTenant({ name: 'Svc 2', slug: 'svc-two' });
      assert.equal(await svc.roleOf(u.id, other.id), undefined);
      await svc.addMembership({ tenantId: other.id, userId: u.id, role: 'viewer' });
      const ms = await svc.membershipsOf(u.id);
      assert.deepEqual(
        ms.map((m) => [m.tenant.slug, m.role, m.teamId]),
        [
          ['svc-one', 'admin', team.id],
          ['svc-two', 'viewer', null],
        ],
      );
      await assert.rejects(
        () => svc.addMembership({ tenantId: other.id, userId: u.id, role: 'owner' }),
        (e: { code?: string }) => e.code === 'membership_exists',
      );
      const nopass = (await svc.findUserByEmail('nopass@example.com'))!;
      await assert.rejects(
        () => svc.addMembership({ tenantId: other.id, userId: nopass.id, role: 'viewer', teamId: team.id }),
        (e: { code?: string }) => e.code === 'team_not_found',
      );
      assert.equal(await svc.getTeam(other.id, team.id), undefined, "another tenant's team is invisible");
      assert.equal(svc.getPlan('free')?.limits !== undefined, true);
      assert.equal(svc.getPlan('toString'), undefined);
    });

    it('serves tenant lookups from memory and sees changes made through the service at once', async () => {
      const t = await svc.createTenant({ name: 'Cached', slug: 'cached-one' });
      assert.equal((await dir.get(t.id))?.name, 'Cached');
      // A change behind the service's back (raw SQL) is not seen: lookups do not query per call.
      const db = get<Database>(h.gw, CoreTokens.Database);
      await db.sequelize.query('UPDATE tenancy_tenants SET name = :name WHERE id = :id', {
        replacements: { name: 'Raw', id: t.id },
      });
      assert.equal((await dir.get(t.id))?.name, 'Cached');
      // A change through the service invalidates the cached copy.
      await svc.updateTenant(t.id, { name: 'Updated' });
      assert.equal((await dir.get(t.id))?.name, 'Updated');
      const key = member(t.id, 'viewer', { scopes: ['ai:invoke'] });
      assert.equal((await call(h.gw, 'GET', '/v1/ping', key)).status, 200);
      await svc.updateTenant(t.id, { status: 'suspended' });
      assert.equal((await call(h.gw, 'GET', '/v1/ping', key)).status, 403);
    });

    if (kind === 'postgres') {
      it('invalidates the tenant on every gateway instance within a second (Redis pub/sub)', async () => {
        const peer = await h.startPeer();
        const su = superadmin();
        const created = await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Shared', slug: 'shared-one' });
        const id = created.body.id as string;
        const key = member(id, 'developer', { scopes: ['ai:invoke'] });
        // Warm the peer's cache (TTL 5 s), then suspend through the first instance.
        assert.equal((await call(peer, 'GET', '/v1/ping', key)).status, 200);
        const t0 = Date.now();
        assert.equal((await call(h.gw, 'PATCH', `/admin/v1/tenants/${id}`, su, { status: 'suspended' })).status, 200);
        let status = 200;
        while (Date.now() - t0 < 3000) {
          status = (await call(peer, 'GET', '/v1/ping', key)).status;
          if (status === 403) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(status, 403);
        assert.ok(Date.now() - t0 < 1000, `the peer saw the suspension after ${Date.now() - t0} ms (TTL is 5000)`);
      });
    }
  });
}
