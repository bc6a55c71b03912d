import { DataTypes } from 'sequelize';
import type { Migration } from '@aihub/core/plugin-api';

const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};

/**
 * Tenancy schema, identical on SQLite and PostgreSQL. Foreign keys cascade so a deleted tenant or
 * user leaves no memberships behind; the audit log has none, so it outlives what it describes.
 */
export const migrations: Migration[] = [
  {
    name: '0001_create_tenancy',
    async up({ queryInterface: qi, table }) {
      await qi.createTable(table('tenants'), {
        id,
        slug: { type: DataTypes.STRING(63), allowNull: false, unique: true },
        name: { type: DataTypes.STRING(200), allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
        plan: { type: DataTypes.STRING(64), allowNull: false },
        settings: { type: DataTypes.JSON, allowNull: false },
        ...timestamps,
      });
      await qi.createTable(table('users'), {
        id,
        email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
        password_hash: { type: DataTypes.STRING(255), allowNull: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
        superadmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        failed_logins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        locked_until: { type: DataTypes.DATE, allowNull: true },
        last_login_at: { type: DataTypes.DATE, allowNull: true },
        ...timestamps,
      });
      await qi.createTable(table('teams'), {
        id,
        tenant_id: { type: DataTypes.STRING(64), allowNull: false, references: { model: table('tenants'), key: 'id' }, onDelete: 'CASCADE' },
        name: { type: DataTypes.STRING(200), allowNull: false },
        description: { type: DataTypes.STRING(2000), allowNull: true },
        ...timestamps,
      });
      await qi.addIndex(table('teams'), ['tenant_id', 'name'], { unique: true, name: `${table('teams')}_tenant_name` });
      await qi.createTable(table('memberships'), {
        id,
        tenant_id: { type: DataTypes.STRING(64), allowNull: false, references: { model: table('tenants'), key: 'id' }, onDelete: 'CASCADE' },
        user_id: { type: DataTypes.STRING(64), allowNull: false, references: { model: table('users'), key: 'id' }, onDelete: 'CASCADE' },
        role: { type: DataTypes.STRING(16), allowNull: false },
        team_id: { type: DataTypes.STRING(64), allowNull: true, references: { model: table('teams'), key: 'id' }, onDelete: 'SET NULL' },
        ...timestamps,
      });
      await qi.addIndex(table('memberships'), ['tenant_id', 'user_id'], { unique: true, name: `${table('memberships')}_tenant_user` });
      await qi.addIndex(table('memberships'), ['user_id'], { name: `${table('memberships')}_user` });
      await qi.createTable(table('audit_log'), {
        id,
        tenant_id: { type: DataTypes.STRING(64), allowNull: true },
        actor_type: { type: DataTypes.STRING(32), allowNull: false },
        actor_id: { type: DataTypes.STRING(128), allowNull: true },
        action: { type: DataTypes.STRING(128), allowNull: false },
        target_type: { type: DataTypes.STRING(64), allowNull: false },
        target_id: { type: DataTypes.STRING(128), allowNull: true },
        before: { type: DataTypes.JSON, allowNull: true },
        after: { type: DataTypes.JSON, allowNull: true },
        request_id: { type: DataTypes.STRING(128), allowNull: true },
        ip: { type: DataTypes.STRING(64), allowNull: true },
        created_at: { type: DataTypes.DATE, allowNull: false },
      });
      await qi.addIndex(table('audit_log'), ['tenant_id', 'created_at'], { name: `${table('audit_log')}_tenant_time` });
      await qi.addIndex(table('audit_log'), ['created_at'], { name: `${table('audit_log')}_time` });
    },
    async down({ queryInterface: qi, table }) {
      await qi.dropTable(table('audit_log'));
      await qi.dropTable(table('memberships'));
      await qi.dropTable(table('teams'));
      await qi.dropTable(table('users'));
      await qi.dropTable(table('tenants'));
    },
  },
  {
    // The model already refuses updates and deletes; this makes the database refuse them too, so
    // raw SQL, another service on the same database or a careless migration cannot rewrite history.
    // Dropping the table (a down migration) stays possible.
    name: '0002_audit_append_only',
    async up({ sequelize, dialect, table }) {
      const t = table('audit_log');
      if (dialect === 'postgres') {
        await sequelize.query(
          `CREATE FUNCTION "${t}_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '${t} is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$`,
        );
        await sequelize.query(`CREATE TRIGGER "${t}_no_rewrite" BEFORE UPDATE OR DELETE ON "${t}" FOR EACH ROW EXECUTE FUNCTION "${t}_append_only"()`);
        await sequelize.query(`CREATE TRIGGER "${t}_no_truncate" BEFORE TRUNCATE ON "${t}" FOR EACH STATEMENT EXECUTE FUNCTION "${t}_append_only"()`);
      } else {
        await sequelize.query(`CREATE TRIGGER "${t}_no_update" BEFORE UPDATE ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: UPDATE is not allowed'); END`);
        await sequelize.query(`CREATE TRIGGER "${t}_no_delete" BEFORE DELETE ON "${t}" BEGIN SELECT RAISE(ABORT, '${t} is append-only: DELETE is not allowed'); END`);
      }
    },
    async down({ sequelize, dialect, table }) {
      const t = table('audit_log');
      if (dialect === 'postgres') {
        await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_rewrite" ON "${t}"`);
        await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_truncate" ON "${t}"`);
        await sequelize.query(`DROP FUNCTION IF EXISTS "${t}_append_only"()`);
      } else {
        await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_update"`);
        await sequelize.query(`DROP TRIGGER IF EXISTS "${t}_no_delete"`);
      }
    },
  },
  {
    // Member invitations: a tenant admin invites an e-mail, the invited person accepts. The token
    // is stored only as its SHA-256; a partial unique index keeps one pending invitation per tenant
    // and e-mail (re-inviting revokes the previous one in the same transaction).
    name: '0003_invitations',
    async up({ queryInterface: qi, sequelize, table }) {
      const t = table('invitations');
      await qi.createTable(t, {
        id,
        tenant_id: { type: DataTypes.STRING(64), allowNull: false, references: { model: table('tenants'), key: 'id' }, onDelete: 'CASCADE' },
        email: { type: DataTypes.STRING(254), allowNull: false },
        role: { type: DataTypes.STRING(16), allowNull: false },
        team_ids: { type: DataTypes.JSON, allowNull: false },
        token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        status: { type: DataTypes.STRING(16), allowNull: false },
        expires_at: { type: DataTypes.DATE, allowNull: false },
        invited_by: { type: DataTypes.STRING(128), allowNull: true },
        accepted_by: { type: DataTypes.STRING(64), allowNull: true },
        accepted_at: { type: DataTypes.DATE, allowNull: true },
        ...timestamps,
      });
      await qi.addIndex(t, ['tenant_id', 'id'], { name: `${t}_tenant` });
      // Raw SQL: the same partial-index statement works on SQLite and PostgreSQL.
      await sequelize.query(`CREATE UNIQUE INDEX "${t}_one_pending" ON "${t}" (tenant_id, email) WHERE status = 'pending'`);
    },
    async down({ queryInterface: qi, table }) {
      await qi.dropTable(table('invitations'));
    },
  },
  {
    // The console's account page: a display name and a preferred language (en, zh-CN, …) per user.
    name: '0004_user_profile',
    async up({ queryInterface: qi, table }) {
      await qi.addColumn(table('users'), 'display_name', { type: DataTypes.STRING(200), allowNull: true });
      await qi.addColumn(table('users'), 'preferred_language', { type: DataTypes.STRING(35), allowNull: true });
    },
    async down({ queryInterface: qi, table }) {
      await qi.removeColumn(table('users'), 'preferred_language');
      await qi.removeColumn(table('users'), 'display_name');
    },
  },
];
