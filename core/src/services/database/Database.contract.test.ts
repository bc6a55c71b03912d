import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DataTypes, QueryTypes } from 'sequelize';
import type { Database, MigrationSet } from './Database';
import { createDatabase } from './SequelizeDatabase';
import { createTestDatabase, type TestDatabase } from './createTestDatabase';

/** The same contract on an SQLite file and on a fresh PostgreSQL database. */
const widgets: MigrationSet = {
  owner: 'sample',
  tablePrefix: 'sample',
  migrations: [
    // Listed out of order on purpose: a set runs sorted by name.
    {
      name: '0002_add_color',
      up: async ({ queryInterface, table }) => {
        await queryInterface.addColumn(table('widgets'), 'color', { type: DataTypes.STRING(20), allowNull: true });
      },
      down: async ({ queryInterface, table }) => {
        await queryInterface.removeColumn(table('widgets'), 'color');
      },
    },
    {
      name: '0001_create_widgets',
      up: async ({ queryInterface, table }) => {
        await queryInterface.createTable(table('widgets'), {
          id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
          tenant_id: { type: DataTypes.STRING(64), allowNull: false },
          name: { type: DataTypes.STRING(200), allowNull: false },
          created_at: { type: DataTypes.DATE, allowNull: false },
        });
        await queryInterface.addIndex(table('widgets'), ['tenant_id', 'created_at'], {
          name: `${table('widgets')}_tenant_time`,
        });
      },
      down: async ({ queryInterface, table }) => {
        await queryInterface.dropTable(table('widgets'));
      },
    },
  ],
};

const gadgets: MigrationSet = {
  owner: 'other',
  tablePrefix: 'other',
  migrations: [
    {
      name: '0001_create_gadgets',
      up: async ({ queryInterface, table }) => {
        await queryInterface.createTable(table('gadgets'), { id: { type: DataTypes.INTEGER, primaryKey: true } });
      },
      down: async ({ queryInterface, table }) => {
        await queryInterface.dropTable(table('gadgets'));
      },
    },
  ],
};

async function tableExists(db: Database, name: string): Promise<boolean> {
  const tables = (await db.sequelize.getQueryInterface().showAllTables()) as unknown[];
  return tables.map((t) => (typeof t === 'string' ? t : (t as { tableName: string }).tableName)).includes(name);
}

async function count(db: Database, table: string): Promise<number> {
  const [row] = await db.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`, {
    type: QueryTypes.SELECT,
  });
  return Number(row.n);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`Database contract: ${kind}`, () => {
    let testDb: TestDatabase;
    let db: Database;

    before(async () => {
      testDb = await createTestDatabase(kind);
      db = createDatabase({ url: testDb.url });
    });

    after(async () => {
      try {
        await db.close();
      } finally {
        await testDb.drop();
      }
    });

    it('pings and names its dialect and tables', async () => {
      await db.ping();
      assert.equal(db.dialect, kind);
      assert.equal(db.tableName('auth', 'keys'), 'auth_keys');
    });

    it('applies migrations in order, once, and reports their status', async () => {
      const applied = await db.migrateUp([widgets, gadgets]);
      assert.deepEqual(applied, ['sample:0001_create_widgets', 'sample:0002_add_color', 'other:0001_create_gadgets']);
      assert.deepEqual(await db.migrateUp([widgets, gadgets]), [], 'a second run applies nothing');
      assert.ok(await tableExists(db, 'sample_widgets'));
      assert.ok(await tableExists(db, 'other_gadgets'));
      assert.ok(await tableExists(db, 'aihub_migrations'));
      const indexes = (await db.sequelize.getQueryInterface().showIndex('sample_widgets')) as { name: string }[];
      assert.ok(
        indexes.some((i) => i.name === 'sample_widgets_tenant_time'),
        `indexes: ${indexes.map((i) => i.name).join(', ')}`,
      );
      await db.sequelize.query(
        `INSERT INTO sample_widgets (tenant_id, name, created_at, color) VALUES ('t1', 'w', $1, 'red')`,
        {
          bind: [new Date().toISOString()],
        },
      );
      assert.deepEqual(await db.migrationStatus([widgets, gadgets]), [
        { owner: 'sample', name: '0001_create_widgets', applied: true },
        { owner: 'sample', name: '0002_add_color', applied: true },
        { owner: 'other', name: '0001_create_gadgets', applied: true },
      ]);
    });

    it('reverts the most recently applied migrations first', async () => {
      assert.deepEqual(await db.migrateDown([widgets, gadgets]), ['other:0001_create_gadgets']);
      assert.equal(await tableExists(db, 'other_gadgets'), false);
      assert.deepEqual(await db.migrateDown([widgets, gadgets], 2), [
        'sample:0002_add_color',
        'sample:0001_create_widgets',
      ]);
      assert.equal(await tableExists(db, 'sample_widgets'), false);
      assert.deepEqual(
        (await db.migrationStatus([widgets, gadgets])).map((s) => s.applied),
        [false, false, false],
      );
      assert.deepEqual(await db.migrateDown([widgets, gadgets]), [], 'nothing left to revert');
    });

    it('orders "newest" by when a migration was applied, not by where its owner is listed', async () => {
      await db.migrateUp([widgets]);
      // A plugin added later that sorts before `sample` in start order.
      assert.deepEqual(await db.migrateUp([gadgets, widgets]), ['other:0001_create_gadgets']);
      assert.deepEqual(await db.migrateDown([gadgets, widgets]), ['other:0001_create_gadgets']);
      assert.deepEqual(await db.migrateDown([gadgets, widgets]), ['sample:0002_add_color']);
      await db.migrateUp([gadgets, widgets]);
    });

    it('refuses to revert a migration without down() and changes nothing', async () => {
      const oneWay: MigrationSet = {
        owner: 'oneway',
        tablePrefix: 'oneway',
        migrations: [{ name: '0001_noop', up: async () => {} }],
      };
      await db.migrateUp([oneWay]);
      await assert.rejects(db.migrateDown([oneWay]), /oneway:0001_noop.*no down\(\)/);
      assert.deepEqual(await db.migrationStatus([oneWay]), [{ owner: 'oneway', name: '0001_noop', applied: true }]);
    });

    it('does not record a migration that failed', async () => {
      const broken: MigrationSet = {
        owner: 'broken',
        tablePrefix: 'broken',
        migrations: [
          {
            name: '0001_fails',
            up: async ({ sequelize }) => {
              await sequelize.query('SELECT * FROM no_such_table');
            },
          },
        ],
      };
      await assert.rejects(db.migrateUp([broken]), /broken:0001_fails/);
      assert.deepEqual(await db.migrationStatus([broken]), [{ owner: 'broken', name: '0001_fails', applied: false }]);
    });

    it('rejects ambiguous migration sets', async () => {
      await assert.rejects(db.migrateUp([widgets, widgets]), /given twice/);
      await assert.rejects(db.migrateUp([{ owner: 'a:b', tablePrefix: 'x', migrations: [] }]), /owner/);
    });

    it('rolls a transaction back when its function throws, and commits otherwise', async () => {
      const before = await count(db, 'sample_widgets');
      await assert.rejects(
        db.transaction(async (transaction) => {
          await db.sequelize.query(
            `INSERT INTO sample_widgets (tenant_id, name, created_at) VALUES ('t1', 'rolled back', $1)`,
            {
              bind: [new Date().toISOString()],
              transaction,
            },
          );
          assert.equal(await count(db, 'sample_widgets'), before, 'not visible outside the transaction');
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await count(db, 'sample_widgets'), before);
      const result = await db.transaction(async (transaction) => {
        await db.sequelize.query(`INSERT INTO sample_widgets (tenant_id, name, created_at) VALUES ('t1', 'kept', $1)`, {
          bind: [new Date().toISOString()],
          transaction,
        });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(await count(db, 'sample_widgets'), before + 1);
    });

    it('runs concurrent read-modify-write transactions without losing updates', async () => {
      await db.sequelize.query(`INSERT INTO other_gadgets (id) VALUES (0)`);
      await Promise.all(
        Array.from({ length: 10 }, () =>
          db.transaction(async (transaction) => {
            // PostgreSQL needs the row lock; SQLite transactions already run one at a time.
            const lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
            const [row] = await db.sequelize.query<{ id: number }>(`SELECT id FROM other_gadgets${lock}`, {
              type: QueryTypes.SELECT,
              transaction,
            });
            await db.sequelize.query('UPDATE other_gadgets SET id = $1 WHERE id = $2', {
              bind: [Number(row.id) + 1, row.id],
              transaction,
            });
          }),
        ),
      );
      const [row] = await db.sequelize.query<{ id: number }>('SELECT id FROM other_gadgets', {
        type: QueryTypes.SELECT,
      });
      assert.equal(Number(row.id), 10);
    });
  });
}

describe('Database specifics', () => {
  it('rejects ping when PostgreSQL is unreachable', async () => {
    const db = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const started = Date.now();
      await assert.rejects(db.ping());
      assert.ok(Date.now() - started < 6000);
    } finally {
      await db.close();
    }
  });

  it('rejects ping once closed', async () => {
    const testDb = await createTestDatabase('postgres');
    const db = createDatabase({ url: testDb.url });
    try {
      await db.ping();
      await db.close();
      await assert.rejects(db.ping(), /closed/);
    } finally {
      await testDb.drop();
    }
  });

  it('creates the SQLite file’s directory and switches it to WAL', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-db-'));
    const file = path.join(dir, 'nested', 'deeper', 'aihub.sqlite');
    const db = createDatabase({ url: `sqlite:${file}` });
    try {
      await db.ping();
      await stat(file);
      const [mode] = await db.sequelize.query<{ journal_mode: string }>('PRAGMA journal_mode', {
        type: QueryTypes.SELECT,
      });
      assert.equal(mode.journal_mode, 'wal');
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('retries the SQLite directory setup after a failed first connect instead of keeping the failure', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aihub-db-'));
    // A file where the database's directory should be: mkdir fails until it is gone.
    const blocker = path.join(dir, 'data');
    await writeFile(blocker, 'not a directory');
    const file = path.join(blocker, 'aihub.sqlite');
    const db = createDatabase({ url: `sqlite:${file}` });
    try {
      await assert.rejects(db.ping());
      await rm(blocker);
      await db.ping();
      const [mode] = await db.sequelize.query<{ journal_mode: string }>('PRAGMA journal_mode', {
        type: QueryTypes.SELECT,
      });
      assert.equal(mode.journal_mode, 'wal');
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs on an in-memory SQLite database', async () => {
    const db = createDatabase({ url: 'sqlite::memory:' });
    try {
      await db.migrateUp([widgets]);
      assert.equal(await count(db, 'sample_widgets'), 0);
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          db.transaction((transaction) =>
            db.sequelize.query(`INSERT INTO sample_widgets (tenant_id, name, created_at) VALUES ('t', $1, $2)`, {
              bind: [`w${i}`, new Date().toISOString()],
              transaction,
            }),
          ),
        ),
      );
      assert.equal(await count(db, 'sample_widgets'), 5);
    } finally {
      await db.close();
    }
  });

  it('turns a nested SQLite transaction into an error instead of a deadlock', async () => {
    const db = createDatabase({ url: 'sqlite::memory:' });
    try {
      await assert.rejects(
        db.transaction(() => db.transaction(async () => 'inner')),
        /inside another transaction/,
      );
      assert.equal(await db.transaction(async () => 'still usable'), 'still usable');
    } finally {
      await db.close();
    }
  });

  it('rejects an unsupported URL with a hint', () => {
    assert.throws(
      () => createDatabase({ url: 'mysql://localhost/db' }),
      /Unsupported database URL scheme mysql:.*postgres:\/\//,
    );
  });
});
