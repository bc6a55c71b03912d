import type { Migration, MigrationContext } from '@aihub/core/plugin-api';

/** Instants: timestamptz on PostgreSQL, fixed-width ISO-8601 text on SQLite (sorts in time order). */
const instant = (d: MigrationContext['dialect']) => (d === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'VARCHAR(24)');
/** JSON documents: jsonb on PostgreSQL (queried with ->> and jsonb_object_keys), text on SQLite (json_extract, json_each). */
const json = (d: MigrationContext['dialect']) => (d === 'postgres' ? 'JSONB' : 'TEXT');

export const behaviorMigrations: Migration[] = [
  {
    name: '0001_behavior_events',
    async up({ queryInterface, dialect, table }) {
      const t = table('events');
      await queryInterface.createTable(t, {
        id: dialect === 'postgres' ? { type: 'BIGSERIAL', primaryKey: true } : { type: 'INTEGER', primaryKey: true, autoIncrement: true },
        tenant_id: { type: 'VARCHAR(64)', allowNull: false },
        message_id: { type: 'VARCHAR(128)', allowNull: false },
        type: { type: 'VARCHAR(16)', allowNull: false },
        event: { type: 'VARCHAR(200)', allowNull: true },
        user_id: { type: 'VARCHAR(200)', allowNull: true },
        anonymous_id: { type: 'VARCHAR(200)', allowNull: true },
        distinct_id: { type: 'VARCHAR(200)', allowNull: false },
        group_id: { type: 'VARCHAR(200)', allowNull: true },
        previous_id: { type: 'VARCHAR(200)', allowNull: true },
        timestamp: { type: instant(dialect), allowNull: false },
        received_at: { type: instant(dialect), allowNull: false },
        properties: { type: json(dialect), allowNull: true },
        traits: { type: json(dialect), allowNull: true },
        context: { type: json(dialect), allowNull: true },
      });
      await queryInterface.addIndex(t, ['tenant_id', 'message_id'], { name: `${t}_message`, unique: true });
      await queryInterface.addIndex(t, ['tenant_id', 'timestamp'], { name: `${t}_tenant_time` });
      await queryInterface.addIndex(t, ['tenant_id', 'user_id'], { name: `${t}_tenant_user` });
      await queryInterface.addIndex(t, ['tenant_id', 'distinct_id', 'timestamp'], { name: `${t}_tenant_distinct_time` });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('events'));
    },
  },
  {
    name: '0002_behavior_profiles',
    async up({ queryInterface, dialect, table }) {
      await queryInterface.createTable(table('profiles'), {
        tenant_id: { type: 'VARCHAR(64)', primaryKey: true },
        user_id: { type: 'VARCHAR(200)', primaryKey: true },
        traits: { type: 'TEXT', allowNull: false },
        anonymous_ids: { type: 'TEXT', allowNull: false },
        first_seen: { type: instant(dialect), allowNull: false },
        last_seen: { type: instant(dialect), allowNull: false },
        event_count: { type: 'BIGINT', allowNull: false, defaultValue: 0 },
        updated_at: { type: instant(dialect), allowNull: false },
      });
      await queryInterface.addIndex(table('profiles'), ['tenant_id', 'last_seen'], { name: `${table('profiles')}_last_seen` });
    },
    async down({ queryInterface, table }) {
      await queryInterface.dropTable(table('profiles'));
    },
  },
  {
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
  },
];
