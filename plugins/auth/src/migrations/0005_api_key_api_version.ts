import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The API version a key's requests default to (AIHub-Version), pinned when the key is created.
  // Keys created before have none: they follow the tenant's pin, then the current version.
  name: '0005_api_key_api_version',
  async up({ queryInterface: qi, table }) {
    await qi.addColumn(table('api_keys'), 'api_version', { type: DataTypes.STRING(10), allowNull: true });
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeColumn(table('api_keys'), 'api_version');
  },
};
