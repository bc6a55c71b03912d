import type { Migration } from '@aihub/core/plugin-api';
import { instantType } from './columns';

export const migration: Migration = {
  name: '0003_usage_pending',
  async up({ queryInterface, dialect, table }) {
    const t = table('pending');
    await queryInterface.createTable(t, {
      request_id: { type: 'VARCHAR(128)', primaryKey: true },
      created_at: { type: instantType(dialect), allowNull: false },
      payload: { type: 'TEXT', allowNull: false },
    });
    await queryInterface.addIndex(t, ['created_at'], { name: `${t}_created` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('pending'));
  },
};
