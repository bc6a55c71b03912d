import type { Migration } from '@aihub/core/plugin-api';
import { forEachTenantDays } from '../analytics/backfill';
import { rebuildMonthsSql } from '../analytics/userMonths';

export const migration: Migration = {
  name: '0009_behavior_user_months',
  async up({ queryInterface, sequelize, table }) {
    // Per-user months (analytics/userMonths.ts): per tenant, user and month, a bit per day the user
    // was active — any event ('any') or one event name ('event') — so retention reads one row per user
    // and month instead of every user-day row of its range. The key leads with the scope and month:
    // a retention query reads one contiguous slice.
    const daily = table('daily_users');
    const t = table('user_months');
    // The backfill below commits statement by statement (migrations run outside a transaction), so a
    // process that died part-way left a partly filled table and no record of this migration: start
    // again from nothing (the table is this migration's alone until it is recorded; indexes go with it).
    await queryInterface.dropTable(t);
    await queryInterface.createTable(t, {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      kind: { type: 'VARCHAR(8)', primaryKey: true },
      event: { type: 'VARCHAR(200)', primaryKey: true },
      month: { type: 'VARCHAR(7)', primaryKey: true },
      user_key: { type: 'VARCHAR(200)', primaryKey: true },
      days: { type: 'BIGINT', allowNull: false },
    });
    // No index by user: every write would pay for it, and an erasure finds a user's rows' keys in
    // their daily rows (userMonths.ts rebuildUserMonths).
    // Backfill from the daily sets in bounded statements (backfill.ts: one tenant and a window of
    // whole days each); a window that splits a month ORs its days into the rows the previous one wrote.
    const fill = rebuildMonthsSql(
      { events: table('events'), daily, months: t },
      'tenant_id = $1 AND day >= $2 AND day < $3',
    );
    await forEachTenantDays(
      sequelize,
      { table: daily, nextDay: `SELECT MIN(day) AS v FROM ${daily} WHERE tenant_id = $1 AND day >= $2` },
      async (tenant, from, to) => {
        for (const text of fill) await sequelize.query(text, { bind: [tenant, from, to] });
      },
    );
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('user_months'));
  },
};
