/**
 * The tenant-scoped data layer on SQLite and PostgreSQL: queries on tenant-owned models without a
 * tenant throw `tenant_scope_missing`; scoped ones see only their tenant; the audit log refuses
 * updates and deletes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Database } from '@aihub/core/plugin-api';
import { createDatabase, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { migrations } from '../src/migrations';
import { defineModels, type TenancyModels } from '../src/models';
import {
  currentTenantId,
  isTenantGuarded,
  requireTenantScope,
  runInTenant,
  scopedRepository,
  tenantWhere,
  withCrossTenantAccess,
} from '../src/scope';
import { DIALECTS } from './support';

const scopeMissing = (err: unknown) => (err as { code?: string }).code === 'tenant_scope_missing';
const now = () => new Date();

for (const kind of DIALECTS) {
  describe(`tenant scope on ${kind}`, () => {
    let tdb: TestDatabase;
    let db: Database;
    let m: TenancyModels;
    const A = 'ten_aaaaaaaaaaaaaaaaaaaaaaaaaa';
    const B = 'ten_bbbbbbbbbbbbbbbbbbbbbbbbbb';

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = createDatabase({ url: tdb.url });
      await db.migrateUp([{ owner: 'tenancy', tablePrefix: 'tenancy', migrations }]);
      m = defineModels(db.sequelize, (n) => db.tableName('tenancy', n));
      for (const id of [A, B])
        await m.Tenant.create({ id, slug: id.slice(-6), name: id, status: 'active', plan: 'free', settings: {} });
      await m.Team.create({ id: 'team_a1', tenantId: A, name: 'a1', description: null });
      await m.Team.create({ id: 'team_b1', tenantId: B, name: 'b1', description: null });
      await m.AuditEntry.create({
        id: 'aud_1',
        tenantId: A,
        actorType: 'system',
        actorId: null,
        action: 'x',
        targetType: 'y',
        targetId: null,
        before: null,
        after: { a: 1 },
        requestId: null,
        ip: null,
        createdAt: now(),
      });
    });
    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('guards every tenant-owned model', () => {
      assert.ok(isTenantGuarded(m.Team));
      assert.ok(isTenantGuarded(m.Membership));
      assert.ok(isTenantGuarded(m.AuditEntry));
      assert.ok(!isTenantGuarded(m.Tenant));
      assert.ok(!isTenantGuarded(m.User));
    });

    it('throws instead of returning rows when a query has no tenant scope', async () => {
      await assert.rejects(() => m.Team.findAll(), scopeMissing);
      await assert.rejects(() => m.Team.findByPk('team_b1'), scopeMissing);
      await assert.rejects(() => m.Team.findOne({ where: { name: 'b1' } }), scopeMissing);
      await assert.rejects(() => m.Team.count(), scopeMissing);
      await assert.rejects(() => m.Membership.findAll({ where: { role: 'owner' } }), scopeMissing);
      await assert.rejects(() => m.AuditEntry.findAll(), scopeMissing);
      await assert.rejects(() => m.Team.update({ name: 'pwned' }, { where: { name: 'b1' } }), scopeMissing);
      await assert.rejects(() => m.Team.destroy({ where: { name: 'b1' } }), scopeMissing);
      await assert.rejects(() => m.Team.create({ id: 'team_x', name: 'x', description: null } as never), scopeMissing);
      // A null or operator tenant filter is not a scope.
      await assert.rejects(() => m.Team.findAll({ where: { tenantId: null } as never }), scopeMissing);
      assert.throws(() => requireTenantScope(), scopeMissing);
      assert.throws(() => requireTenantScope(null), scopeMissing);
      assert.throws(() => requireTenantScope(''), scopeMissing);
      assert.throws(() => tenantWhere(), scopeMissing);
      // Nothing was changed by the refused statements.
      const names = await withCrossTenantAccess(() => m.Team.findAll({ order: [['id', 'ASC']] }));
      assert.deepEqual(
        names.map((t) => t.name),
        ['a1', 'b1'],
      );
    });

    it('scopes queries to the explicit tenant or the current tenant context', async () => {
      assert.deepEqual(
        (await m.Team.findAll({ where: tenantWhere(A) })).map((t) => t.id),
        ['team_a1'],
      );
      const inA = await runInTenant(A, async () => {
        assert.equal(currentTenantId(), A);
        return { all: await m.Team.findAll(), other: await m.Team.findByPk('team_b1'), count: await m.Team.count() };
      });
      assert.deepEqual(
        inA.all.map((t) => t.id),
        ['team_a1'],
      );
      assert.equal(inA.other, null, "another tenant's row is invisible by primary key");
      assert.equal(inA.count, 1);
      // Bulk updates and deletes in a tenant scope touch only that tenant.
      const updated = await runInTenant(B, () => m.Team.update({ description: 'seen' }, { where: {} }));
      assert.equal(updated[0], 1);
      await runInTenant(A, () => m.Team.destroy({ where: { name: 'b1' } }));
      const b1 = await m.Team.findOne({ where: { tenantId: B, name: 'b1' } });
      assert.ok(b1, 'a delete in tenant A must not reach tenant B');
      assert.equal(b1.description, 'seen');
      // Rows created in a scope belong to it.
      const created = await runInTenant(B, () =>
        m.Team.create({ id: 'team_b2', name: 'b2', description: null } as never),
      );
      assert.equal(created.tenantId, B);
    });

    it('offers a scoped repository that only takes tenant ids', async () => {
      const teams = scopedRepository(m.Team);
      assert.deepEqual(
        (await teams.findAll(B, { order: [['id', 'ASC']] })).map((t) => t.id),
        ['team_b1', 'team_b2'],
      );
      assert.equal(await teams.findById(A, 'team_b1'), null);
      // A where naming another tenant cannot widen the scope.
      assert.deepEqual(
        (await teams.findAll(A, { where: { tenantId: B } })).map((t) => t.id),
        ['team_a1'],
      );
      await assert.rejects(() => teams.findAll(null), scopeMissing);
      await assert.rejects(() => teams.count(undefined), scopeMissing);
      assert.equal(await runInTenant(A, () => teams.count(undefined)), 1);
      assert.equal(await teams.destroy(A, { id: 'team_b2' }), 0);
      assert.equal(await teams.destroy(B, { id: 'team_b2' }), 1);
    });

    it('keeps the audit log append-only', async () => {
      const row = await m.AuditEntry.findOne({ where: { tenantId: A } });
      assert.ok(row);
      await assert.rejects(() => row.update({ action: 'tampered' }), /append-only/);
      await assert.rejects(() => row.destroy(), /append-only/);
      await assert.rejects(
        () => m.AuditEntry.update({ action: 'tampered' }, { where: { tenantId: A } }),
        /append-only/,
      );
      await assert.rejects(() => m.AuditEntry.destroy({ where: { tenantId: A } }), /append-only/);
      // The database refuses too, whoever asks (raw SQL bypasses the model).
      // (Sequelize wraps SQLite's trigger error as a constraint error; the database's message is in `original`.)
      const t = db.tableName('tenancy', 'audit_log');
      const refused = (err: unknown) =>
        /append-only/.test(String((err as { original?: Error }).original?.message ?? (err as Error).message));
      await assert.rejects(() => db.sequelize.query(`UPDATE "${t}" SET action = 'tampered'`), refused);
      await assert.rejects(() => db.sequelize.query(`DELETE FROM "${t}"`), refused);
      if (kind === 'postgres') await assert.rejects(() => db.sequelize.query(`TRUNCATE "${t}"`), refused);
      const [[{ n }]] = (await db.sequelize.query(`SELECT count(*) AS n FROM "${t}"`)) as [
        { n: string | number }[],
        unknown,
      ];
      assert.equal(Number(n), 1);
      const again = await m.AuditEntry.findOne({ where: { tenantId: A } });
      assert.equal(again?.action, 'x');
      assert.deepEqual(again?.after, { a: 1 });
    });

    it('migrates the database guard down and up again', async () => {
      const set = [{ owner: 'tenancy', tablePrefix: 'tenancy', migrations }];
      const t = db.tableName('tenancy', 'audit_log');
      // Down to 0001 (later migrations go first), which leaves the audit log without its triggers.
      const reverted = await db.migrateDown(set, migrations.length - 1);
      assert.equal(reverted.at(-1), 'tenancy:0002_audit_append_only');
      await db.sequelize.query(`UPDATE "${t}" SET target_id = 'fixed-by-operator' WHERE id = 'aud_1'`);
      await db.migrateUp(set);
      await assert.rejects(
        () => db.sequelize.query(`UPDATE "${t}" SET target_id = NULL`),
        (err: unknown) => /append-only/.test(String((err as { original?: Error }).original?.message ?? err)),
      );
    });
  });
}
