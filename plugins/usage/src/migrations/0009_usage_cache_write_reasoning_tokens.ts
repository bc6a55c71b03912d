import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  name: '0009_usage_cache_write_reasoning_tokens',
  async up({ queryInterface, table }) {
    // Cache writes cost more than plain input (Anthropic, Bedrock) and reasoning tokens are output
    // the answer does not show: both counted apart so their share of a cost can be seen.
    const r = table('records');
    await queryInterface.addColumn(r, 'cache_write_tokens', { type: 'INTEGER', allowNull: false, defaultValue: 0 });
    await queryInterface.addColumn(r, 'reasoning_tokens', { type: 'INTEGER', allowNull: false, defaultValue: 0 });
  },
  async down({ queryInterface, table }) {
    await queryInterface.removeColumn(table('records'), 'reasoning_tokens');
    await queryInterface.removeColumn(table('records'), 'cache_write_tokens');
  },
};
