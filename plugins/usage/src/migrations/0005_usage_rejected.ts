import type { Migration } from '@aihub/core/plugin-api';
import { instantType } from './columns';

export const migration: Migration = {
  name: '0005_usage_rejected',
  async up({ queryInterface, dialect, table }) {
    // Dead letters: records that can never be written (malformed). Kept, never silently dropped.
    await queryInterface.createTable(table('rejected'), {
      id: { type: 'VARCHAR(36)', primaryKey: true },
      created_at: { type: instantType(dialect), allowNull: false },
      reason: { type: 'VARCHAR(500)', allowNull: false },
      payload: { type: 'TEXT', allowNull: false },
    });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('rejected'));
  },
};
