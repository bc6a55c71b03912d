import type { Migration } from '@aihub/core/plugin-api';
import { rebuildSql } from '../analytics/daily';

export const migration: Migration = {
  name: '0005_behavior_daily_users',
  async up({ queryInterface, sequelize, dialect, table }) {
    // Per-day user sets (analytics/daily.ts): distinct users per day and event are counted over these
    // rows instead of every raw event. The key orders day before event so a time range reads one
    // contiguous slice, grouped by day and event in index order.
    const t = table('daily_users');
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
    // Backfill from the events already stored, so an upgraded install answers from the sets at once.
    await sequelize.query(rebuildSql(dialect, { events: table('events'), daily: t }, '1 = 1'));
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('daily_users'));
  },
};
