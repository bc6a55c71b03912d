import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from './Database';
import { createDatabase } from './SequelizeDatabase';
import { createTestDatabase, type TestDatabase } from './createTestDatabase';
import { isTransientDbError } from './transientErrors';

/** The SQLSTATE a failure carries, as Sequelize wraps it (`parent.code`). */
const withCode = (code: string) =>
  Object.assign(new Error(`pg error ${code}`), { name: 'SequelizeDatabaseError', parent: { code, message: 'x' } });

describe('isTransientDbError (PostgreSQL error classes)', () => {
  it('retries the classes that pass on their own and nothing else', () => {
    const transient = [
      '08000',
      '08003',
      '08006',
      '08001',
      '08004',
      '08P01',
      '40001',
      '40P01',
      '57P01',
      '57P02',
      '57P03',
      '57P05',
      '53000',
      '53100',
      '53200',
      '53300',
      '25006',
    ];
    for (const code of transient) assert.equal(isTransientDbError(withCode(code)), true, `${code} is transient`);
    // 57P04 database_dropped and 53400 configuration_limit_exceeded do not pass by waiting; 25001 and
    // 25P02 are our own transaction misuse; 23505/22008/22P02 are data the server will refuse forever.
    const permanent = ['57P04', '53400', '25001', '25P02', '23505', '22008', '22P02', '42P01', '0800', '080000'];
    for (const code of permanent) assert.equal(isTransientDbError(withCode(code)), false, `${code} is not transient`);
  });

  describe('real server errors', () => {
    let tdb: TestDatabase;
    let db: Database;
    before(async () => {
      tdb = await createTestDatabase('postgres');
      db = createDatabase({ url: tdb.url });
      await db.sequelize.query('CREATE TABLE t (id int primary key, at timestamptz)');
    });
    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('a write on a read-only session (25006, what a failover looks like) is transient', async () => {
      const err = await db.sequelize
        .transaction(async (transaction) => {
          await db.sequelize.query('SET TRANSACTION READ ONLY', { transaction });
          await db.sequelize.query('INSERT INTO t (id) VALUES (1)', { transaction });
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err, 'the insert was refused');
      assert.equal((err as { parent?: { code?: string } }).parent?.code, '25006');
      assert.equal(isTransientDbError(err), true);
    });

    it('a session ended by the administrator (57P01) is transient; a duplicate key (23505) is not', async () => {
      const err = await db.sequelize
        .transaction(async (transaction) => {
          await db.sequelize.query('SELECT pg_terminate_backend(pg_backend_pid())', { transaction });
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      assert.ok(err, 'the session was ended');
      assert.equal(isTransientDbError(err), true, `transient: ${String((err as Error).message)}`);

      await db.sequelize.query('INSERT INTO t (id) VALUES (2)');
      const dup = await db.sequelize.query('INSERT INTO t (id) VALUES (2)').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal((dup as { parent?: { code?: string } }).parent?.code, '23505');
      assert.equal(isTransientDbError(dup), false);
    });

    it('a date PostgreSQL cannot store (22008) is not transient: retrying it would stall the queue forever', async () => {
      const err = await db.sequelize.query("INSERT INTO t (id, at) VALUES (3, '294277-01-01T00:00:00Z')").then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err);
      assert.match(String((err as { parent?: { code?: string } }).parent?.code), /^22/);
      assert.equal(isTransientDbError(err), false);
    });
  });
});
