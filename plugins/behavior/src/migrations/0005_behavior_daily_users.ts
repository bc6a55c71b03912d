import type { Migration } from '@aihub/core/plugin-api';
import { rebuildSql } from '../analytics/daily';
import { at, TS } from '../analytics/dialect';
import { forEachTenantDays } from '../analytics/backfill';

export const migration: Migration = {
  name: '0005_behavior_daily_users',
  async up({ queryInterface, sequelize, dialect, table }) {
    // Per-day user sets (analytics/daily.ts): distinct users per day and event are counted over these
    // rows instead of every raw event. The key orders day before event so a time range reads one
    // contiguous slice, grouped by day and event in index order.
    const t = table('daily_users');
    // The backfill below commits statement by statement (migrations run outside a transaction), so a
    // process that died part-way left a partly filled table and no record of this migration: start
    // again from nothing (the table is this migration's alone until it is recorded; indexes go with it).
    await queryInterface.dropTable(t);
    await queryInterface.createTable(t, {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      day: { type: 'VARCHAR(10)', primaryKey: true },
      event: { type: 'VARCHAR(200)', primaryKey: true },
      type: { type: 'VARCHAR(16)', primaryKey: true },
      user_key: { type: 'VARCHAR(200)', primaryKey: true },
      events: { type: 'BIGINT', allowNull: false },
    });
    // Erasure rebuilds one user's rows.
    await queryInterface.addIndex(t, ['tenant_id', 'user_key'], { name: `${t}_user` });
    // Backfill from the events already stored, so an upgraded install answers from the sets at once:
    // one bounded statement per tenant and window of whole UTC days (backfill.ts; a day's rows come
    // from one statement), read through the (tenant_id, timestamp, …) index. SQLite compares the stored text with day labels
    // (true of any stored time format); PostgreSQL compares instants.
    const events = table('events');
    const bound = (day: string) => (dialect === 'postgres' ? `${day}T00:00:00.000Z` : day);
    const fill = rebuildSql(
      dialect,
      { events, daily: t },
      `tenant_id = $1 AND ${TS} >= ${at(dialect, 2)} AND ${TS} < ${at(dialect, 3)}`,
    );
    await forEachTenantDays(
      sequelize,
      {
        table: events,
        nextDay: `SELECT MIN(${TS}) AS v FROM ${events} WHERE tenant_id = $1 AND ${TS} >= ${at(dialect, 2)}`,
        bindDay: bound,
      },
      async (tenant, from, to) => {
        await sequelize.query(fill, { bind: [tenant, bound(from), bound(to)] });
      },
    );
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('daily_users'));
  },
};
