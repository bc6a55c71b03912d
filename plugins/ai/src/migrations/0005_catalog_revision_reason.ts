import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // Operational control (drains, weights, forced breakers, fallback switches) became part of the
  // catalog's revisions: each such change is a revision whose author is the rule, the probe or the
  // operator, and whose reason is kept here. The control state itself lives in the overlay JSON.
  name: '0005_catalog_revision_reason',
  async up({ queryInterface: qi, table }) {
    await qi.addColumn(table('catalog_revisions'), 'reason', { type: DataTypes.TEXT, allowNull: true });
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeColumn(table('catalog_revisions'), 'reason');
  },
};
