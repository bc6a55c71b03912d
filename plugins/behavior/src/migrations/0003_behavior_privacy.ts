import type { Migration } from '@aihub/core/plugin-api';
import { instant } from './columns';

export const migration: Migration = {
  name: '0003_behavior_privacy',
  async up({ queryInterface, dialect, table }) {
    // Per-tenant HMAC keys for hashed PII: random, never leave the database; deleting one makes the
    // tenant's hashes unlinkable (crypto-shredding).
    await queryInterface.createTable(table('tenant_keys'), {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      hmac_key: { type: 'VARCHAR(64)', allowNull: false },
      created_at: { type: instant(dialect), allowNull: false },
    });
    // Deleted users: events of theirs still in the queue when they were deleted are dropped on arrival.
    await queryInterface.createTable(table('deleted_users'), {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      user_id: { type: 'VARCHAR(200)', primaryKey: true },
      deleted_at: { type: instant(dialect), allowNull: false },
    });
    // Tenants with events, for the retention job.
    await queryInterface.createTable(table('tenants'), {
      tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
      first_seen: { type: instant(dialect), allowNull: false },
    });
  },
  async down({ queryInterface, table }) {
    await queryInterface.dropTable(table('tenants'));
    await queryInterface.dropTable(table('deleted_users'));
    await queryInterface.dropTable(table('tenant_keys'));
  },
};
