import type { Migration } from '@aihub/core/plugin-api';
import { rebuildTotalsSql } from '../analytics/daily';
import { forEachTenantDays } from '../analytics/backfill';

export const migration: Migration = {
  name: '0006_behavior_daily_totals',
  async up({ queryInterface, sequelize, table }) {
    // Per-day totals (analytics/daily.ts): events and distinct users per tenant, day, event name and
    // type, so a daily trend series reads a few hundred rows instead of every user's daily row. The
    // key orders day before event: a time range is one contiguous slice of the index.
    const t = table('daily_totals');
    // The backfill below commits statement by statement (migrations run outside a transaction), so a
    // process that died part-way left a partly filled table and no record of this migration: start
    // again from nothing (the table is this migration's alone until it is recorded; indexes go with it).
    await queryInterface.dropTable(t);
    await queryInterface.createTable(t, {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      day: { type: 'VARCHAR(10)', primaryKey: true },
      event: { type: 'VARCHAR(200)', primaryKey: true },
      type: { type: 'VARCHAR(16)', primaryKey: true },
      events: { type: 'BIGINT', allowNull: false },
      users: { type: 'BIGINT', allowNull: false },
    });
    // Backfill from the daily sets (migration 0005 filled them from the events already stored): one
    // bounded statement per tenant and window of days (backfill.ts), read through the sets' key.
    const daily = table('daily_users');
    const fill = rebuildTotalsSql(
      { events: table('events'), daily, totals: t },
      'tenant_id = $1 AND day >= $2 AND day < $3',
    );
    await forEachTenantDays(
      sequelize,
      { table: daily, nextDay: `SELECT MIN(day) AS v FROM ${daily} WHERE tenant_id = $1 AND day >= $2` },
      async (tenant, from, to) => {
        await sequelize.query(fill, { bind: [tenant, from, to] });
      },
    );
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('daily_totals'));
  },
};
