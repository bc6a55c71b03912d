import type { Migration } from '@aihub/core/plugin-api';
import { instant, json } from './columns';

export const migration: Migration = {
  name: '0001_behavior_events',
  async up({ queryInterface, dialect, table }) {
    const t = table('events');
    await queryInterface.createTable(t, {
      id:
        dialect === 'postgres'
          ? { type: 'BIGSERIAL', primaryKey: true }
          : { type: 'INTEGER', primaryKey: true, autoIncrement: true },
      tenant_id: { type: 'VARCHAR(64)', allowNull: false },
      message_id: { type: 'VARCHAR(128)', allowNull: false },
      type: { type: 'VARCHAR(16)', allowNull: false },
      event: { type: 'VARCHAR(200)', allowNull: true },
      user_id: { type: 'VARCHAR(200)', allowNull: true },
      anonymous_id: { type: 'VARCHAR(200)', allowNull: true },
      distinct_id: { type: 'VARCHAR(200)', allowNull: false },
      group_id: { type: 'VARCHAR(200)', allowNull: true },
      previous_id: { type: 'VARCHAR(200)', allowNull: true },
      timestamp: { type: instant(dialect), allowNull: false },
      received_at: { type: instant(dialect), allowNull: false },
      properties: { type: json(dialect), allowNull: true },
      traits: { type: json(dialect), allowNull: true },
      context: { type: json(dialect), allowNull: true },
    });
    await queryInterface.addIndex(t, ['tenant_id', 'message_id'], { name: `${t}_message`, unique: true });
    await queryInterface.addIndex(t, ['tenant_id', 'timestamp'], { name: `${t}_tenant_time` });
    await queryInterface.addIndex(t, ['tenant_id', 'user_id'], { name: `${t}_tenant_user` });
    await queryInterface.addIndex(t, ['tenant_id', 'distinct_id', 'timestamp'], { name: `${t}_tenant_distinct_time` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('events'));
  },
};
