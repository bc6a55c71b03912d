import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // A reversible hold on a key (an admin, or an ops rule on a budget alert): unlike revocation the key
  // keeps its id, secret and settings and works again once resumed. All three are null when the key
  // is not suspended. The partial index serves `?status=suspended` as 0003's does `revoked`: a small
  // share of a tenant's keys, read without walking every active one.
  name: '0006_api_key_suspension',
  async up({ queryInterface: qi, sequelize, table }) {
    const t = table('api_keys');
    await qi.addColumn(t, 'suspended_at', { type: DataTypes.DATE, allowNull: true });
    await qi.addColumn(t, 'suspended_reason', { type: DataTypes.STRING(500), allowNull: true });
    await qi.addColumn(t, 'suspended_by', { type: DataTypes.STRING(128), allowNull: true });
    // Raw SQL: the same partial-index statement works on SQLite and PostgreSQL.
    await sequelize.query(
      `CREATE INDEX "${t}_tenant_suspended" ON "${t}" (tenant_id, suspended_at) WHERE suspended_at IS NOT NULL`,
    );
  },
  async down({ queryInterface: qi, table }) {
    const t = table('api_keys');
    await qi.removeIndex(t, `${t}_tenant_suspended`);
    await qi.removeColumn(t, 'suspended_by');
    await qi.removeColumn(t, 'suspended_reason');
    await qi.removeColumn(t, 'suspended_at');
  },
};
