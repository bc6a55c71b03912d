import type { Migration } from '@aihub/core/plugin-api';
import { instant } from './columns';

export const migration: Migration = {
  name: '0002_behavior_profiles',
  async up({ queryInterface, dialect, table }) {
    await queryInterface.createTable(table('profiles'), {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      user_id: { type: 'VARCHAR(200)', primaryKey: true },
      traits: { type: 'TEXT', allowNull: false },
      anonymous_ids: { type: 'TEXT', allowNull: false },
      first_seen: { type: instant(dialect), allowNull: false },
      last_seen: { type: instant(dialect), allowNull: false },
      event_count: { type: 'BIGINT', allowNull: false, defaultValue: 0 },
      updated_at: { type: instant(dialect), allowNull: false },
    });
    await queryInterface.addIndex(table('profiles'), ['tenant_id', 'last_seen'], {
      name: `${table('profiles')}_last_seen`,
    });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('profiles'));
  },
};
