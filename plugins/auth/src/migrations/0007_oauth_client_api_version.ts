import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The API version an OAuth client's tokens default to (AIHub-Version), pinned when the client is
  // created. Clients created before have none: their tokens follow the tenant's pin, then the current version.
  name: '0007_oauth_client_api_version',
  async up({ queryInterface: qi, table }) {
    await qi.addColumn(table('oauth_clients'), 'api_version', { type: DataTypes.STRING(10), allowNull: true });
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeColumn(table('oauth_clients'), 'api_version');
  },
};
