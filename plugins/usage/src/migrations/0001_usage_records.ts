import type { Migration } from '@aihub/core/plugin-api';
import { instantType } from './columns';

export const migration: Migration = {
  name: '0001_usage_records',
  async up({ queryInterface, dialect, table }) {
    const t = table('records');
    await queryInterface.createTable(t, {
      request_id: { type: 'VARCHAR(128)', primaryKey: true },
      created_at: { type: instantType(dialect), allowNull: false },
      recorded_at: { type: instantType(dialect), allowNull: false },
      tenant_id: { type: 'VARCHAR(64)', allowNull: true },
      key_id: { type: 'VARCHAR(128)', allowNull: true },
      user_id: { type: 'VARCHAR(128)', allowNull: true },
      team_id: { type: 'VARCHAR(128)', allowNull: true },
      endpoint: { type: 'VARCHAR(32)', allowNull: false },
      model: { type: 'VARCHAR(200)', allowNull: false },
      resolved_model: { type: 'VARCHAR(200)', allowNull: true },
      provider: { type: 'VARCHAR(64)', allowNull: true },
      deployment: { type: 'VARCHAR(128)', allowNull: true },
      experiment: { type: 'VARCHAR(128)', allowNull: true },
      variant: { type: 'VARCHAR(128)', allowNull: true },
      prompt_tokens: { type: 'INTEGER', allowNull: false },
      completion_tokens: { type: 'INTEGER', allowNull: false },
      cached_tokens: { type: 'INTEGER', allowNull: false },
      total_tokens: { type: 'INTEGER', allowNull: false },
      estimated: { type: 'BOOLEAN', allowNull: false },
      cost_micros: { type: 'BIGINT', allowNull: true },
      input_cost_micros: { type: 'BIGINT', allowNull: true },
      cached_cost_micros: { type: 'BIGINT', allowNull: true },
      output_cost_micros: { type: 'BIGINT', allowNull: true },
      priced: { type: 'BOOLEAN', allowNull: false },
      latency_ms: { type: 'INTEGER', allowNull: false },
      ttft_ms: { type: 'INTEGER', allowNull: true },
      status: { type: 'VARCHAR(16)', allowNull: false },
      http_status: { type: 'INTEGER', allowNull: false },
      error_code: { type: 'VARCHAR(64)', allowNull: true },
      cache_hit: { type: 'BOOLEAN', allowNull: false },
      stream: { type: 'BOOLEAN', allowNull: false },
    });
    await queryInterface.addIndex(t, ['tenant_id', 'created_at'], { name: `${t}_tenant_created` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('records'));
  },
};
