import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ai from '@aihub/plugin-ai';
import auth from '@aihub/plugin-auth';
import behavior from '@aihub/plugin-behavior';
import ops from '@aihub/plugin-ops';
import rateLimit from '@aihub/plugin-rate-limit';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';
import { createDatabase, createTestDatabase } from '@aihub/core/testing';
import type { Database, Migration, PluginDefinition } from '@aihub/core/plugin-api';
import { migrations as aiBefore } from './fixtures/migrations-before-split/ai';
import { migrations as authBefore } from './fixtures/migrations-before-split/auth';
import { behaviorMigrations as behaviorBefore } from './fixtures/migrations-before-split/behavior';
import { opsMigrations as opsBefore } from './fixtures/migrations-before-split/ops';
import { migrations as rateLimitBefore } from './fixtures/migrations-before-split/rate-limit';
import { migrations as tenancyBefore } from './fixtures/migrations-before-split/tenancy';
import { usageMigrations as usageBefore } from './fixtures/migrations-before-split/usage';

/**
 * Each plugin's migrations moved from one growing array to one file per migration (Kong's layout).
 * Applied migrations are recorded by name, so a database migrated with the old single-file list must
 * find each of those already applied (only migrations added since run), and end with the schema a
 * fresh database gets.
 */
const cases: { plugin: PluginDefinition; before: Migration[] }[] = [
  { plugin: auth, before: authBefore },
  { plugin: tenancy, before: tenancyBefore },
  { plugin: rateLimit, before: rateLimitBefore },
  { plugin: behavior, before: behaviorBefore },
  { plugin: ai, before: aiBefore },
  { plugin: usage, before: usageBefore },
  { plugin: ops, before: opsBefore },
];

/** Tables, columns, indexes and triggers, in an order that does not depend on creation order. */
async function schemaOf(db: Database): Promise<unknown[]> {
  const q = (sql: string) => db.sequelize.query(sql, { type: 'SELECT' });
  if (db.dialect === 'sqlite') {
    return q(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`);
  }
  return [
    await q(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name`,
    ),
    await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`),
    await q(
      `SELECT trigger_name, event_manipulation, action_statement FROM information_schema.triggers ORDER BY trigger_name, event_manipulation`,
    ),
  ];
}

async function withDatabase<T>(kind: 'sqlite' | 'postgres', fn: (db: Database) => Promise<T>): Promise<T> {
  const test = await createTestDatabase(kind);
  const db = await createDatabase({ url: test.url });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await test.drop();
  }
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`one migration file per version: databases migrated before the split (${kind})`, () => {
    for (const { plugin, before } of cases) {
      it(`${plugin.name}: after the old list, the per-file list applies only what was added since, and yields the same schema`, async () => {
        const set = (migrations: Migration[]) => [
          { owner: plugin.name, tablePrefix: plugin.name.replace(/-/g, '_'), migrations },
        ];
        const now = plugin.migrations ?? [];
        assert.deepEqual(
          now.slice(0, before.length).map((m) => m.name),
          before.map((m) => m.name),
          'the same names in the same order (new migrations are appended after these)',
        );
        const added = now.slice(before.length).map((m) => `${plugin.name}:${m.name}`);
        const migratedBefore = await withDatabase(kind, async (db) => {
          assert.equal((await db.migrateUp(set(before))).length, before.length);
          assert.deepEqual(await db.migrateUp(set(now)), added, 'nothing of the old list applies again');
          return schemaOf(db);
        });
        const fresh = await withDatabase(kind, async (db) => {
          assert.equal((await db.migrateUp(set(now))).length, now.length);
          return schemaOf(db);
        });
        assert.deepEqual(migratedBefore, fresh);
      });
    }
  });
}
