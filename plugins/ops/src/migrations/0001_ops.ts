import type { Migration } from '@aihub/core/plugin-api';
import { instant } from './columns';

export const migration: Migration = {
  name: '0001_ops',
  async up({ queryInterface, dialect, table }) {
    // Rules created through the admin API (config rules live in config only).
    await queryInterface.createTable(table('rules'), {
      name: { type: 'VARCHAR(64)', primaryKey: true },
      definition: { type: 'TEXT', allowNull: false },
      created_at: { type: instant(dialect), allowNull: false },
      updated_at: { type: instant(dialect), allowNull: false },
      updated_by: { type: 'VARCHAR(128)', allowNull: true },
    });
    // Every decision and action, with its reason.
    const e = table('events');
    await queryInterface.createTable(e, {
      id: { type: 'VARCHAR(40)', primaryKey: true },
      created_at: { type: instant(dialect), allowNull: false },
      rule: { type: 'VARCHAR(64)', allowNull: false },
      action: { type: 'VARCHAR(32)', allowNull: false },
      target: { type: 'VARCHAR(200)', allowNull: true },
      outcome: { type: 'VARCHAR(16)', allowNull: false },
      reason: { type: 'TEXT', allowNull: false },
      signal: { type: 'VARCHAR(32)', allowNull: true },
      value: { type: 'DOUBLE PRECISION', allowNull: true },
      instance: { type: 'VARCHAR(128)', allowNull: false },
      error: { type: 'TEXT', allowNull: true },
    });
    await queryInterface.addIndex(e, ['created_at', 'id'], { name: `${e}_time` });
    await queryInterface.addIndex(e, ['rule', 'created_at'], { name: `${e}_rule` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('events'));
    await queryInterface.dropTable(table('rules'));
  },
};
