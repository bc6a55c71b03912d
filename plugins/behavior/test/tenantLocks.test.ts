/**
 * lockTenants on PostgreSQL: tenants whose names share a lock key (`hashtext`) never make two
 * transactions take keys in opposite orders. Two names with one key and a third sorting between
 * them deadlocked when the locks were taken in name order, one statement each: the batch {A, B} took
 * key(A) then key(B), the batch {B, C} key(B) then key(C) = key(A).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSql, type Database, type Sql } from '@aihub/core/plugin-api';
import { createDatabase, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { lockTenants } from '../src/analytics/tenantLocks';

describe('lockTenants (postgres)', () => {
  let tdb: TestDatabase;
  let db: Database;
  let sql: Sql;

  before(async () => {
    tdb = await createTestDatabase('postgres');
    db = createDatabase({ url: tdb.url });
    sql = createSql(db);
  });
  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('takes colliding keys in one order: concurrent batches never deadlock', async () => {
    const [a, b, c] = ['tenant-120827', 'tenant-5', 'tenant-60489'];
    const [{ same }] = await sql.rows<{ same: boolean }>(`SELECT hashtext($1) = hashtext($2) AS same`, [a, c]);
    assert.equal(same, true, 'the two names share a key');
    const hold = (tenants: string[]) =>
      sql.transaction(async (tx) => {
        await lockTenants(sql, tx, 7, tenants, 'exclusive');
        // Hold the locks across a round trip, as a writer does while it reads its neighbours.
        await sql.rows('SELECT pg_sleep(0.005) IS NULL AS ok', [], tx);
      });
    for (let i = 0; i < 40; i++) await Promise.all([hold([a, b]), hold([c, b])]);
  });

  it('takes nothing for no tenant, and a shared lock lets another shared one in', async () => {
    await sql.transaction((tx) => lockTenants(sql, tx, 7, [], 'exclusive'));
    await Promise.all([
      sql.transaction(async (tx) => {
        await lockTenants(sql, tx, 7, ['t1', 't2'], 'shared');
        await sql.rows('SELECT pg_sleep(0.05) IS NULL AS ok', [], tx);
      }),
      sql.transaction(async (tx) => {
        await lockTenants(sql, tx, 7, ['t2', 't1'], 'shared');
        const held = await sql.rows<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 7 AND mode = 'ShareLock' AND granted`,
          [],
          tx,
        );
        assert.ok(Number(held[0].n) >= 2, 'both hold shared locks at once');
      }),
    ]);
  });
});
