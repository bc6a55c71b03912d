import type { Migration } from '@aihub/core/plugin-api';
import { rebuildAnswered } from '../writer/answered';
import { counter, dim } from './columns';

export const migration: Migration = {
  name: '0008_usage_answered',
  async up({ queryInterface, sequelize, dialect, table }) {
    // The invoice rollup by the model that answered (writer/answered.ts): a month's invoice reads
    // ~31 rows per model instead of grouping the month's records. Tenant first: it is the filter.
    const a = table('answered');
    await queryInterface.createTable(a, {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      day: { type: 'VARCHAR(10)', primaryKey: true },
      model: { ...dim(200), primaryKey: true },
      answered_by: { ...dim(200), primaryKey: true },
      provider: { ...dim(64), primaryKey: true },
      requests: counter(),
      cache_hits: counter(),
      unpriced_requests: counter(),
      breakdown_requests: counter(),
      prompt_tokens: counter(),
      cached_tokens: counter(),
      completion_tokens: counter(),
      total_tokens: counter(),
      cost_micros: counter(),
      input_cost_micros: counter(),
      cached_cost_micros: counter(),
      output_cost_micros: counter(),
    });
    await rebuildAnswered(dialect, (statement, bind) => sequelize.query(statement, { bind }), {
      records: table('records'),
      answered: a,
    });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('answered'));
  },
};
