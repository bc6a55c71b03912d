import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  name: '0010_usage_api_version',
  async up({ queryInterface, table }) {
    // The API version each request was served at: `aihub versions report` lists who still calls old ones.
    const r = table('records');
    await queryInterface.addColumn(r, 'api_version', { type: 'VARCHAR(10)', allowNull: true });
    await queryInterface.addIndex(r, ['api_version', 'tenant_id', 'key_id'], { name: `${r}_api_version` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.removeIndex(table('records'), `${table('records')}_api_version`);
    await queryInterface.removeColumn(table('records'), 'api_version');
  },
};
