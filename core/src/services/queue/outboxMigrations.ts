import type { MigrationContext, MigrationSet } from '../database/Database';

/**
 * Tables of the database EventQueue (see OutboxQueue.ts for how they are used):
 * - `aihub_outbox`: one row per message, ids in publish order (AUTOINCREMENT on SQLite so an id is
 *   never reused after a cleanup, which would confuse consumers that dedupe by id);
 * - `aihub_outbox_groups`: the consumer groups known per topic (cleanup waits for all of them);
 * - `aihub_outbox_deliveries`: one row per message a group has claimed: who holds it, since when,
 *   how often it was delivered, whether it was acked.
 * Times are epoch milliseconds (UTC) in BIGINT columns: compared arithmetically and identical on both dialects.
 */
async function up({ sequelize, dialect, table }: MigrationContext): Promise<void> {
  const outbox = table('outbox');
  const groups = table('outbox_groups');
  const deliveries = table('outbox_deliveries');
  const id = dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  const statements = [
    `CREATE TABLE ${outbox} (id ${id}, topic VARCHAR(200) NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    `CREATE INDEX ${outbox}_topic_id ON ${outbox} (topic, id)`,
    `CREATE TABLE ${groups} (topic VARCHAR(200) NOT NULL, group_name VARCHAR(200) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (topic, group_name))`,
    `CREATE TABLE ${deliveries} (group_name VARCHAR(200) NOT NULL, message_id BIGINT NOT NULL, topic VARCHAR(200) NOT NULL, ` +
      `consumer VARCHAR(200) NOT NULL, claimed_at BIGINT NOT NULL, deliveries INTEGER NOT NULL, acked SMALLINT NOT NULL DEFAULT 0, ` +
      `PRIMARY KEY (group_name, message_id))`,
    // Reclaiming idle messages and counting a group's pending ones.
    `CREATE INDEX ${deliveries}_pending ON ${deliveries} (topic, group_name, acked, claimed_at)`,
    // Cleanup deletes by message.
    `CREATE INDEX ${deliveries}_message ON ${deliveries} (message_id)`,
  ];
  for (const sql of statements) await sequelize.query(sql);
}

async function down({ sequelize, table }: MigrationContext): Promise<void> {
  for (const name of ['outbox_deliveries', 'outbox_groups', 'outbox'])
    await sequelize.query(`DROP TABLE IF EXISTS ${table(name)}`);
}

/**
 * `aihub_dead_letters`: queue messages a consumer set aside because the database refused them on
 * their own (see DeadLetterStore). Kept in the database whichever queue backend runs, so they are
 * durable and listed the same way on Redis Streams and on the outbox.
 */
async function upDeadLetters({ sequelize, table }: MigrationContext): Promise<void> {
  const dead = table('dead_letters');
  const statements = [
    `CREATE TABLE ${dead} (id VARCHAR(36) PRIMARY KEY, topic VARCHAR(200) NOT NULL, group_name VARCHAR(200) NOT NULL, ` +
      `message_id VARCHAR(200), tenant_id VARCHAR(200), reason VARCHAR(64) NOT NULL, error TEXT NOT NULL, payload TEXT NOT NULL, ` +
      `created_at BIGINT NOT NULL, replayed_at BIGINT, replays INTEGER NOT NULL DEFAULT 0)`,
    `CREATE INDEX ${dead}_topic_created ON ${dead} (topic, created_at)`,
    `CREATE INDEX ${dead}_tenant ON ${dead} (tenant_id, created_at)`,
  ];
  for (const sql of statements) await sequelize.query(sql);
}

async function downDeadLetters({ sequelize, table }: MigrationContext): Promise<void> {
  await sequelize.query(`DROP TABLE IF EXISTS ${table('dead_letters')}`);
}

/** Core's migrations: the outbox queue tables and the dead letters. Run them before using a database EventQueue. */
export const coreQueueMigrations: MigrationSet = {
  owner: 'core',
  tablePrefix: 'aihub',
  migrations: [
    { name: '0001_create_outbox', up, down },
    { name: '0002_create_dead_letters', up: upDeadLetters, down: downDeadLetters },
  ],
};
