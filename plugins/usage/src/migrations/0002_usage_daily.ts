import type { Migration } from '@aihub/core/plugin-api';
import { counter, dim } from './columns';

export const migration: Migration = {
  name: '0002_usage_daily',
  async up({ queryInterface, table }) {
    const t = table('daily');
    // One row per (day, tenant, team, key, model, provider): every rollup the API serves is a GROUP BY
    // of this cube. Missing dimensions are '' (not NULL) so the unique key matches on conflict.
    await queryInterface.createTable(t, {
      day: { type: 'VARCHAR(10)', primaryKey: true },
      tenant_id: { ...dim(64), primaryKey: true },
      team_id: { ...dim(128), primaryKey: true },
      key_id: { ...dim(128), primaryKey: true },
      model: { ...dim(200), primaryKey: true },
      provider: { ...dim(64), primaryKey: true },
      requests: counter(),
      success_requests: counter(),
      error_requests: counter(),
      cancelled_requests: counter(),
      cache_hits: counter(),
      stream_requests: counter(),
      estimated_requests: counter(),
      unpriced_requests: counter(),
      breakdown_requests: counter(),
      prompt_tokens: counter(),
      completion_tokens: counter(),
      cached_tokens: counter(),
      total_tokens: counter(),
      cost_micros: counter(),
      input_cost_micros: counter(),
      cached_cost_micros: counter(),
      output_cost_micros: counter(),
      latency_ms_sum: counter(),
    });
    await queryInterface.addIndex(t, ['tenant_id', 'day'], { name: `${t}_tenant_day` });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('daily'));
  },
};
