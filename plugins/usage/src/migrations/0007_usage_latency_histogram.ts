import type { Migration } from '@aihub/core/plugin-api';
import { rebuildHistograms } from '../writer/histogram';
import { counter } from './columns';

export const migration: Migration = {
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
    await rebuildHistograms(dialect, (statement, bind) => sequelize.query(statement, { bind }), {
      records: r,
      latency: h,
    });
  },
  async down({ queryInterface, table }) {
    const r = table('records');
    await queryInterface.removeIndex(r, `${r}_tenant_overhead`);
    await queryInterface.removeIndex(r, `${r}_tenant_latency`);
    await queryInterface.dropTable(table('latency'));
  },
};
