import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // Responses stored by POST /v1/responses (store: true) for GET and previous_response_id. Keyed
  // by (tenant_id, id) like ai_requests ('' = no tenant): every read names the tenant.
  name: '0004_responses',
  async up({ queryInterface: qi, table }) {
    await qi.createTable(table('responses'), {
      tenant_id: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '', primaryKey: true },
      id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
      key_id: { type: DataTypes.STRING(128), allowNull: true },
      model: { type: DataTypes.STRING(256), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      response: { type: DataTypes.TEXT, allowNull: false },
      input_items: { type: DataTypes.TEXT, allowNull: false },
      conversation: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
      expires_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await qi.addIndex(table('responses'), ['expires_at'], { name: `${table('responses')}_expires` });
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('responses'));
  },
};
