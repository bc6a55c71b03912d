import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  name: '0004_behavior_analytics_indexes',
  async up({ queryInterface, table }) {
    const t = table('events');
    // Covering indexes for the analytics reads (analytics/Analytics.ts), so they never visit the wide
    // rows (properties, context): a time range (trends, top events, retention) reads the first; a
    // query naming its events (funnels, chosen trends, retention by event) reads only those events'
    // entries in the second. The first also serves everything the (tenant_id, timestamp) index did
    // (retention deletes, time ranges), which it replaces.
    await queryInterface.addIndex(t, ['tenant_id', 'timestamp', 'type', 'event', 'distinct_id'], {
      name: `${t}_tenant_time_cover`,
    });
    await queryInterface.addIndex(t, ['tenant_id', 'event', 'timestamp', 'distinct_id', 'type'], {
      name: `${t}_tenant_event_time`,
    });
    await queryInterface.removeIndex(t, `${t}_tenant_time`);
  },
  async down({ queryInterface, table }) {
    const t = table('events');
    await queryInterface.addIndex(t, ['tenant_id', 'timestamp'], { name: `${t}_tenant_time` });
    await queryInterface.removeIndex(t, `${t}_tenant_event_time`);
    await queryInterface.removeIndex(t, `${t}_tenant_time_cover`);
  },
};
