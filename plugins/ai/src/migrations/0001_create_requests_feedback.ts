import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  name: '0001_create_requests_feedback',
  async up({ queryInterface: qi, table }) {
    await qi.createTable(table('requests'), {
      request_id: { type: DataTypes.STRING(128), primaryKey: true, allowNull: false },
      tenant_id: { type: DataTypes.STRING(64), allowNull: true },
      experiment: { type: DataTypes.STRING(128), allowNull: true },
      variant: { type: DataTypes.STRING(128), allowNull: true },
      model: { type: DataTypes.STRING(256), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      latency_ms: { type: DataTypes.INTEGER, allowNull: false },
      prompt_tokens: { type: DataTypes.INTEGER, allowNull: false },
      completion_tokens: { type: DataTypes.INTEGER, allowNull: false },
      cost_micros: { type: DataTypes.BIGINT, allowNull: true },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await qi.addIndex(table('requests'), ['tenant_id', 'created_at'], { name: `${table('requests')}_tenant_time` });
    await qi.addIndex(table('requests'), ['tenant_id', 'experiment', 'variant'], {
      name: `${table('requests')}_tenant_experiment`,
    });
    await qi.createTable(table('feedback'), {
      id: { type: DataTypes.STRING(40), primaryKey: true, allowNull: false },
      request_id: { type: DataTypes.STRING(128), allowNull: false },
      tenant_id: { type: DataTypes.STRING(64), allowNull: true },
      experiment: { type: DataTypes.STRING(128), allowNull: true },
      variant: { type: DataTypes.STRING(128), allowNull: true },
      score: { type: DataTypes.DOUBLE, allowNull: false },
      comment: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await qi.addIndex(table('feedback'), ['tenant_id', 'request_id'], { name: `${table('feedback')}_tenant_request` });
    await qi.addIndex(table('feedback'), ['tenant_id', 'experiment', 'variant'], {
      name: `${table('feedback')}_tenant_experiment`,
    });
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('feedback'));
    await qi.dropTable(table('requests'));
  },
};
