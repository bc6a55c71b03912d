import type { Migration } from '@aihub/core/plugin-api';

/**
 * The catalog revision an event's control change made (drain, restore, weight, breaker, fallback
 * switch), so an operator can go from the decision to the routing change; null for other actions.
 */
export const migration: Migration = {
  name: '0002_event_revision',
  async up({ queryInterface, table }) {
    await queryInterface.addColumn(table('events'), 'revision', { type: 'INTEGER', allowNull: true });
  },
  async down({ queryInterface, table }) {
    await queryInterface.removeColumn(table('events'), 'revision');
  },
};
