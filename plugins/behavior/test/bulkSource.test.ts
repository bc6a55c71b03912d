/**
 * bulkSource on SQLite and PostgreSQL: the values arrive as a VALUES list would have bound them
 * (quotes, backslashes, non-ASCII text, empty strings, NULLs, integers and decimals), in order, as
 * the source of an upsert with RETURNING and of a two-column IN; and a statement takes more rows
 * than SQLite's parameter limit allows values (32,766), which a VALUES list could not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bulkColumns, bulkSource, createSql, num, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import { createDatabase, createTestDatabase, type TestDatabase } from '@aihub/core/testing';

const COLUMNS: readonly BulkColumn[] = [
  ['k', 'text'],
  ['s', 'text'],
  ['n', 'bigint'],
  ['f', 'double precision'],
];
const TRICKY = ["it's", 'a "quoted" \\ back\\slash', 'ünïcødé — 日本 🎉', '', '$1 ?1 :a', '{"json":"text"}', '[1,2]'];

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`bulkSource (${kind})`, () => {
    let tdb: TestDatabase;
    let db: ReturnType<typeof createDatabase>;
    let sql: Sql;

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = createDatabase({ url: tdb.url });
      sql = createSql(db);
      await sql.rows(
        `CREATE TABLE bulk_t (k VARCHAR(20) PRIMARY KEY, s TEXT, n BIGINT, f ${kind === 'postgres' ? 'DOUBLE PRECISION' : 'REAL'})`,
      );
    });

    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('inserts every value as bound, returns the rows the upsert inserted, in order', async () => {
      const rows = TRICKY.map((s, i) => ({ k: `k${i}`, s, n: i * 1_000_000_007, f: i + 0.25 }));
      rows.push({
        k: 'null',
        s: null as unknown as string,
        n: null as unknown as number,
        f: null as unknown as number,
      });
      const bind: unknown[] = [];
      const source = bulkSource(sql.dialect, COLUMNS, rows, bind);
      assert.equal(bind.length, 1, 'the rows go as one parameter');
      const back = await sql.rows<{ k: string }>(
        `INSERT INTO bulk_t (${bulkColumns(COLUMNS)}) ${source} ON CONFLICT (k) DO NOTHING RETURNING k`,
        bind,
      );
      assert.deepEqual(
        back.map((r) => r.k),
        rows.map((r) => r.k),
      );
      const stored = await sql.rows<Record<string, unknown>>(`SELECT k, s, n, f FROM bulk_t ORDER BY k`);
      const byKey = new Map(stored.map((r) => [r.k, r]));
      for (const r of rows) {
        const got = byKey.get(r.k)!;
        assert.equal(got.s, r.s, r.k);
        assert.equal(got.n === null ? null : num(got.n), r.n, r.k);
        assert.equal(got.f === null ? null : num(got.f), r.f, r.k);
      }
    });

    it('serves a two-column IN, and takes more rows than SQLite allows bound values', async () => {
      const many = Array.from({ length: 20_000 }, (_, i) => ({ k: `m${i}`, s: `s${i}` }));
      const cols = COLUMNS.slice(0, 2);
      const bind: unknown[] = [];
      await sql.rows(
        `INSERT INTO bulk_t (${bulkColumns(cols)}) ${bulkSource(sql.dialect, cols, many, bind)} RETURNING k`,
        bind,
      );
      const keys = [...many.slice(0, 3), { k: 'm5', s: 'other' }, { k: 'k0', s: "it's" }];
      // After a parameter already bound: the rows' parameter is numbered after it.
      const kb: unknown[] = ['m1'];
      const found = await sql.rows<{ k: string }>(
        `SELECT k FROM bulk_t WHERE k <> $1 AND (k, s) IN (${bulkSource(sql.dialect, cols, keys, kb)}) ORDER BY k`,
        kb,
      );
      assert.deepEqual(
        found.map((r) => r.k),
        ['k0', 'm0', 'm2'],
      );
    });
  });
}
