import type { Migration } from '@aihub/core/plugin-api';

export const migration: Migration = {
  // "Revoked" is a small share of a tenant's keys: with this partial index PostgreSQL reads just
  // those and sorts them, instead of walking a sort index through every active key to find them
  // (measured: 800 ms → milliseconds at 100,000 keys when the revoked ones sort last).
  name: '0003_api_key_revoked_index',
  async up({ sequelize, table }) {
    const t = table('api_keys');
    // Raw SQL: the same partial-index statement works on SQLite and PostgreSQL.
    await sequelize.query(
      `CREATE INDEX "${t}_tenant_revoked" ON "${t}" (tenant_id, revoked_at) WHERE revoked_at IS NOT NULL`,
    );
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeIndex(table('api_keys'), `${table('api_keys')}_tenant_revoked`);
  },
};
