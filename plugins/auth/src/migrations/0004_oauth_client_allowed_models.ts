import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The models an OAuth client's tokens may call (within the tenant's), as API keys have.
  name: '0004_oauth_client_allowed_models',
  async up({ queryInterface: qi, table }) {
    await qi.addColumn(table('oauth_clients'), 'allowed_models', { type: DataTypes.TEXT, allowNull: true });
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeColumn(table('oauth_clients'), 'allowed_models');
  },
};
