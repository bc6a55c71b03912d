import type { Migration } from '@aihub/core/plugin-api';
import { instantType } from './columns';

export const migration: Migration = {
  name: '0004_usage_budgets',
  async up({ queryInterface, dialect, table }) {
    await queryInterface.createTable(table('budgets'), {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      level: { type: 'VARCHAR(8)', primaryKey: true },
      target_id: { type: 'VARCHAR(128)', primaryKey: true },
      daily_hard_micros: { type: 'BIGINT', allowNull: true },
      daily_soft_micros: { type: 'BIGINT', allowNull: true },
      monthly_hard_micros: { type: 'BIGINT', allowNull: true },
      monthly_soft_micros: { type: 'BIGINT', allowNull: true },
      updated_at: { type: instantType(dialect), allowNull: false },
      updated_by: { type: 'VARCHAR(128)', allowNull: true },
    });
    const a = table('budget_alerts');
    await queryInterface.createTable(a, {
      id: { type: 'VARCHAR(64)', primaryKey: true },
      tenant_id: { type: 'VARCHAR(64)', allowNull: false },
      level: { type: 'VARCHAR(8)', allowNull: false },
      target_id: { type: 'VARCHAR(128)', allowNull: false },
      period: { type: 'VARCHAR(8)', allowNull: false },
      period_key: { type: 'VARCHAR(10)', allowNull: false },
      kind: { type: 'VARCHAR(8)', allowNull: false },
      limit_micros: { type: 'BIGINT', allowNull: false },
      spent_micros: { type: 'BIGINT', allowNull: false },
      created_at: { type: instantType(dialect), allowNull: false },
      webhook_state: { type: 'VARCHAR(12)', allowNull: false },
      attempts: { type: 'INTEGER', allowNull: false, defaultValue: 0 },
      next_attempt_at: { type: instantType(dialect), allowNull: true },
      last_error: { type: 'VARCHAR(500)', allowNull: true },
    });
    await queryInterface.addIndex(a, ['tenant_id', 'level', 'target_id', 'period', 'period_key', 'kind'], {
      name: `${a}_once`,
      unique: true,
    });
    await queryInterface.addIndex(a, ['webhook_state', 'next_attempt_at'], { name: `${a}_webhook` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('budget_alerts'));
    await queryInterface.dropTable(table('budgets'));
  },
};
