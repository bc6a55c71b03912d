import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  name: '0001_create_policies',
  async up({ queryInterface: qi, table }) {
    await qi.createTable(table('policies'), {
      id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      tenant_id: { type: DataTypes.STRING(64), allowNull: false },
      scope: { type: DataTypes.STRING(16), allowNull: false },
      subject_id: { type: DataTypes.STRING(128), allowNull: false },
      requests_per_minute: { type: DataTypes.INTEGER, allowNull: true },
      tokens_per_minute: { type: DataTypes.INTEGER, allowNull: true },
      concurrent_requests: { type: DataTypes.INTEGER, allowNull: true },
      updated_by: { type: DataTypes.STRING(128), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    });
    await qi.addIndex(table('policies'), ['tenant_id', 'scope', 'subject_id'], {
      unique: true,
      name: `${table('policies')}_subject`,
    });
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('policies'));
  },
};
