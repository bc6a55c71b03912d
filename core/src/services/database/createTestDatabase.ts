import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Sequelize } from 'sequelize';

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  /** URL for `createDatabase`. */
  url: string;
  /** Deletes the database (PostgreSQL: DROP DATABASE, ending leftover sessions; SQLite: the temp dir). */
  drop(): Promise<void>;
}

/** Admin connection used to create and drop test databases; override with AIHUB_TEST_PG_URL. */
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdmin<T>(adminUrl: string, fn: (admin: Sequelize) => Promise<T>): Promise<T> {
  // Sequelize rather than pg directly: it is typed here, and CREATE/DROP DATABASE run outside a transaction.
  const admin = new Sequelize(adminUrl, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 1, min: 0, acquire: 10_000 },
    dialectOptions: { connectionTimeoutMillis: 5000 },
  });
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * A fresh, empty database for one test file: a uniquely named PostgreSQL database (`aihub_test_<hex>`)
 * or an SQLite file in a new temp directory. Always call `drop()` in `after`.
 */
export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-test-'));
    return {
      kind,
      url: `sqlite:${path.join(dir, 'test.sqlite')}`,
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.AIHUB_TEST_PG_URL || DEFAULT_ADMIN_URL;
  // Only [a-z0-9_]: the name is interpolated into DDL, which takes no bind parameters.
  const name = `aihub_test_${randomBytes(8).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    kind,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      await withAdmin(adminUrl, async (admin) => {
        try {
          // FORCE (PostgreSQL 13+) ends sessions a test forgot to close instead of failing.
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } catch (err) {
          // Older servers reject the syntax (42601); anything else is a real failure.
          if ((err as { parent?: { code?: string } }).parent?.code !== '42601') throw err;
          await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            { bind: [name] },
          );
          await admin.query(`DROP DATABASE IF EXISTS ${name}`);
        }
      });
      dropped = true;
    },
  };
}
