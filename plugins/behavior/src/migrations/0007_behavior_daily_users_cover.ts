import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  name: '0007_behavior_daily_users_cover',
  async up({ queryInterface, table }) {
    // Every read of the daily sets (trends with users, top events, retention) takes a day range and
    // sums `events`, which the primary key's index does not hold: each of the range's rows cost a
    // lookup of its table row (SQLite: by rowid; PostgreSQL: a heap fetch). With `events` in an index
    // of the key's order the reads are index-only: at 1,000,000 events (478,258 rows in 30 days) the
    // 30-day trends' users took 1,196 → 574 ms and top events 883 → 443 ms on SQLite.
    const t = table('daily_users');
    await queryInterface.addIndex(t, ['tenant_id', 'day', 'event', 'type', 'user_key', 'events'], {
      name: `${t}_cover`,
    });
  },
  async down({ queryInterface, table }) {
    const t = table('daily_users');
    await queryInterface.removeIndex(t, `${t}_cover`);
  },
};
