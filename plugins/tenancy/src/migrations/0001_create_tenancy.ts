import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';
import { id, timestamps } from './columns';

export const migration: Migration = {
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
      tenant_id: {
        type: DataTypes.STRING(64),
        allowNull: false,
        references: { model: table('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      name: { type: DataTypes.STRING(200), allowNull: false },
      description: { type: DataTypes.STRING(2000), allowNull: true },
      ...timestamps,
    });
    await qi.addIndex(table('teams'), ['tenant_id', 'name'], { unique: true, name: `${table('teams')}_tenant_name` });
    await qi.createTable(table('memberships'), {
      id,
      tenant_id: {
        type: DataTypes.STRING(64),
        allowNull: false,
        references: { model: table('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      user_id: {
        type: DataTypes.STRING(64),
        allowNull: false,
        references: { model: table('users'), key: 'id' },
        onDelete: 'CASCADE',
      },
      role: { type: DataTypes.STRING(16), allowNull: false },
      team_id: {
        type: DataTypes.STRING(64),
        allowNull: true,
        references: { model: table('teams'), key: 'id' },
        onDelete: 'SET NULL',
      },
      ...timestamps,
    });
    await qi.addIndex(table('memberships'), ['tenant_id', 'user_id'], {
      unique: true,
      name: `${table('memberships')}_tenant_user`,
    });
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
};
