import type { Migration, MigrationContext } from '@aihub/core/plugin-api';
import { rebuildAnswered } from './writer/answered';
import { rebuildHistograms } from './writer/histogram';

/**
 * Instants are `timestamptz` on PostgreSQL and fixed-width ISO-8601 text (`2025-01-02T03:04:05.678Z`)
 * on SQLite, where text compares in time order. Both are written from ISO strings (see sql.ts).
 */
export function instantType(dialect: MigrationContext['dialect']): string {
  return dialect === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'VARCHAR(24)';
}

const counter = () => ({ type: 'BIGINT', allowNull: false, defaultValue: 0 });
const dim = (len: number) => ({ type: `VARCHAR(${len})`, allowNull: false, defaultValue: '' });

export const usageMigrations: Migration[] = [
  {
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
  },
  {
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
  },
  {
    name: '0003_usage_pending',
    async up({ queryInterface, dialect, table }) {
      const t = table('pending');
      await queryInterface.createTable(t, {
        request_id: { type: 'VARCHAR(128)', primaryKey: true },
        created_at: { type: instantType(dialect), allowNull: false },
        payload: { type: 'TEXT', allowNull: false },
      });
      await queryInterface.addIndex(t, ['created_at'], { name: `${t}_created` });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('pending'));
    },
  },
  {
    name: '0004_usage_budgets',
    async up({ queryInterface, dialect, table }) {
      await queryInterface.createTable(table('budgets'), {
        tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
        level: { type: 'VARCHAR(8)', primaryKey: true },
        target_id: { type: 'VARCHAR(128)', primaryKey: true },
        daily_hard_micros: { type: 'BIGINT', allowNull: true },
        daily_soft_micros: { type: 'BIGINT', allowNull: true },
        monthly_hard_micros: { type: 'BIGINT', allowNull: true },
        monthly_soft_micros: { type: 'BIGINT', allowNull: true },
        updated_at: { type: instantType(dialect), allowNull: false },
        updated_by: { type: 'VARCHAR(128)', allowNull: true },
      });
      const a = table('budget_alerts');
      await queryInterface.createTable(a, {
        id: { type: 'VARCHAR(64)', primaryKey: true },
        tenant_id: { type: 'VARCHAR(64)', allowNull: false },
        level: { type: 'VARCHAR(8)', allowNull: false },
        target_id: { type: 'VARCHAR(128)', allowNull: false },
        period: { type: 'VARCHAR(8)', allowNull: false },
        period_key: { type: 'VARCHAR(10)', allowNull: false },
        kind: { type: 'VARCHAR(8)', allowNull: false },
        limit_micros: { type: 'BIGINT', allowNull: false },
        spent_micros: { type: 'BIGINT', allowNull: false },
        created_at: { type: instantType(dialect), allowNull: false },
        webhook_state: { type: 'VARCHAR(12)', allowNull: false },
        attempts: { type: 'INTEGER', allowNull: false, defaultValue: 0 },
        next_attempt_at: { type: instantType(dialect), allowNull: true },
        last_error: { type: 'VARCHAR(500)', allowNull: true },
      });
      await queryInterface.addIndex(a, ['tenant_id', 'level', 'target_id', 'period', 'period_key', 'kind'], { name: `${a}_once`, unique: true });
      await queryInterface.addIndex(a, ['webhook_state', 'next_attempt_at'], { name: `${a}_webhook` });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('budget_alerts'));
      await queryInterface.dropTable(table('budgets'));
    },
  },
  {
    name: '0005_usage_rejected',
    async up({ queryInterface, dialect, table }) {
      // Dead letters: records that can never be written (malformed). Kept, never silently dropped.
      await queryInterface.createTable(table('rejected'), {
        id: { type: 'VARCHAR(36)', primaryKey: true },
        created_at: { type: instantType(dialect), allowNull: false },
        reason: { type: 'VARCHAR(500)', allowNull: false },
        payload: { type: 'TEXT', allowNull: false },
      });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('rejected'));
    },
  },
  {
    name: '0006_usage_request_detail',
    async up({ queryInterface, table }) {
      // The request explorer: the gateway's own time, the trace, and every attempt (JSON, bounded to
      // MAX_RECORDED_ATTEMPTS) of each request. Older rows keep NULL/0: they were never measured.
      const t = table('records');
      await queryInterface.addColumn(t, 'overhead_ms', { type: 'DOUBLE PRECISION', allowNull: true });
      await queryInterface.addColumn(t, 'trace_id', { type: 'VARCHAR(32)', allowNull: true });
      await queryInterface.addColumn(t, 'attempts', { type: 'TEXT', allowNull: true });
      await queryInterface.addColumn(t, 'attempt_count', { type: 'INTEGER', allowNull: false, defaultValue: 0 });
      // The explorer's most selective filters, newest first within a tenant.
      await queryInterface.addIndex(t, ['tenant_id', 'key_id', 'created_at'], { name: `${t}_tenant_key_created` });
      await queryInterface.addIndex(t, ['tenant_id', 'model', 'created_at'], { name: `${t}_tenant_model_created` });
    },
    async down({ queryInterface, table }) {
      const t = table('records');
      await queryInterface.removeIndex(t, `${t}_tenant_model_created`);
      await queryInterface.removeIndex(t, `${t}_tenant_key_created`);
      for (const c of ['attempt_count', 'attempts', 'trace_id', 'overhead_ms']) await queryInterface.removeColumn(t, c);
    },
  },
  {
    name: '0007_usage_latency_histogram',
    async up({ queryInterface, sequelize, dialect, table }) {
      // Daily histograms of latency and overhead per tenant (writer/histogram.ts) and an index per
      // metric on the records: exact percentiles over 90 days of a million records read a few thousand
      // histogram rows and one bucket of the index instead of sorting the range (api/percentile.ts).
      const h = table('latency');
      await queryInterface.createTable(h, {
        tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
        metric: { type: 'VARCHAR(8)', primaryKey: true },
        day: { type: 'VARCHAR(10)', primaryKey: true },
        bucket: { type: 'BIGINT', primaryKey: true },
        requests: counter(),
      });
      const r = table('records');
      await queryInterface.addIndex(r, ['tenant_id', 'latency_ms', 'created_at'], { name: `${r}_tenant_latency` });
      await queryInterface.addIndex(r, ['tenant_id', 'overhead_ms', 'created_at'], { name: `${r}_tenant_overhead` });
      await rebuildHistograms(dialect, (statement, bind) => sequelize.query(statement, { bind }), { records: r, latency: h });
    },
    async down({ queryInterface, table }) {
      const r = table('records');
      await queryInterface.removeIndex(r, `${r}_tenant_overhead`);
      await queryInterface.removeIndex(r, `${r}_tenant_latency`);
      await queryInterface.dropTable(table('latency'));
    },
  },
  {
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
      await rebuildAnswered(dialect, (statement, bind) => sequelize.query(statement, { bind }), { records: table('records'), answered: a });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('answered'));
    },
  },
  {
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
  },
  {
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
  },
];
