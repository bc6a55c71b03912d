import type { Migration } from '@aihub/core/plugin-api';
import { forEachTenantDays } from '../analytics/backfill';
import { rebuildGapsSql } from '../analytics/gaps';

export const migration: Migration = {
  name: '0008_behavior_daily_gaps',
  async up({ queryInterface, sequelize, table }) {
    // Per-day gaps (analytics/gaps.ts): per tenant, day, event name, type and previous day of the same
    // user, event and type, the number of users, so the distinct users of an event over a range of
    // whole days are a sum over a few thousand rows (those whose previous day is before the range),
    // not a distinct count over every daily-set row of the range.
    const daily = table('daily_users');
    const t = table('daily_gaps');
    // Each daily row's neighbours in its user's history of that event and type are one index probe
    // (the writer reads them for every new row, the backfill for every row).
    // (Dropped first: a run that died during the backfill below left it.)
    await sequelize.query(`DROP INDEX IF EXISTS ${daily}_chain`);
    await queryInterface.addIndex(daily, ['tenant_id', 'event', 'type', 'user_key', 'day'], {
      name: `${daily}_chain`,
    });
    // The backfill below commits statement by statement (migrations run outside a transaction), so a
    // process that died part-way left a partly filled table and no record of this migration: start
    // again from nothing (the table is this migration's alone until it is recorded; indexes go with it).
    await queryInterface.dropTable(t);
    await queryInterface.createTable(t, {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      day: { type: 'VARCHAR(10)', primaryKey: true },
      event: { type: 'VARCHAR(200)', primaryKey: true },
      type: { type: 'VARCHAR(16)', primaryKey: true },
      prev_day: { type: 'VARCHAR(10)', primaryKey: true },
      users: { type: 'BIGINT', allowNull: false },
    });
    // Backfill from the daily sets in bounded statements (backfill.ts: one tenant and a window of
    // whole days each); a row's previous day is probed through the index above, wherever it lies.
    const fill = rebuildGapsSql(
      { events: table('events'), daily, gaps: t },
      'g.tenant_id = $1 AND g.day >= $2 AND g.day < $3',
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
    const daily = table('daily_users');
    await queryInterface.dropTable(table('daily_gaps'));
    await queryInterface.removeIndex(daily, `${daily}_chain`);
  },
};
