/**
 * bulkTuples and bulkSource on SQLite and PostgreSQL: rows bound as ONE JSON parameter are stored
 * exactly as the same rows bound as a VALUES list of `$n` parameters (the form they replace): the
 * same values AND, on SQLite, the same storage classes (integers stay integers, numeric-looking text
 * stays text, booleans 1/0), for integers up to 2^53, decimals, quotes, backslashes, non-ASCII text,
 * placeholder-looking text, JSON text, NULLs and instants; in order, as the source of an upsert with
 * RETURNING and of an IN; and more rows than SQLite allows bound values.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDatabase } from './SequelizeDatabase';
import { createTestDatabase, type TestDatabase } from './createTestDatabase';
import { bulkColumns, bulkSource, bulkTuples, createSql, valuesList, type BulkColumn, type Sql } from './sql';

const COLUMNS: readonly BulkColumn[] = [
  ['k', 'text'],
  ['s', 'text'],
  ['n', 'bigint'],
  ['i', 'integer'],
  ['f', 'double precision'],
  ['b', 'boolean'],
  ['at', 'timestamptz'],
];

const TEXTS = [
  "it's",
  'a "quoted" \\ back\\slash \\u0041 \\n',
  'ünïcødé — 日本 🎉 \u2028',
  '',
  '$1 ?1 :a @a',
  '{"json":"text","n":[1,2.5]}',
  '[1,2]',
  '123',
  '-0.50',
  '1e3',
  'true',
  'null',
  ' 7 ',
];
const BIGS = [0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 1_000_000_007 * 3];
const DOUBLES = [0.1, 1 / 3, 1e-7, 123, -2.5, 12345.678901234, 5e-324, 1.7976931348623157e308];

function rows(prefix: string): unknown[][] {
  return TEXTS.map((s, j): unknown[] => [
    `${prefix}${String(j).padStart(2, '0')}`,
    s,
    BIGS[j % BIGS.length],
    j - 6,
    DOUBLES[j % DOUBLES.length],
    j % 2 === 0,
    new Date(Date.UTC(2025, 0, 2, 3, 4, 5, j)).toISOString(),
  ]).concat([[`${prefix}null`, null, null, null, null, null, null]]);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`bulkTuples (${kind})`, () => {
    let tdb: TestDatabase;
    let db: ReturnType<typeof createDatabase>;
    let sql: Sql;

    const table = (name: string) =>
      kind === 'postgres'
        ? `CREATE TABLE ${name} (k VARCHAR(20) PRIMARY KEY, s TEXT, n BIGINT, i INTEGER, f DOUBLE PRECISION, b BOOLEAN, at TIMESTAMP WITH TIME ZONE)`
        : `CREATE TABLE ${name} (k VARCHAR(20) PRIMARY KEY, s TEXT, n BIGINT, i INTEGER, f DOUBLE PRECISION, b BOOLEAN, at VARCHAR(24))`;

    /** Every stored value with, on SQLite, its storage class. */
    const stored = (name: string) =>
      sql.rows<Record<string, unknown>>(
        kind === 'postgres'
          ? `SELECT k, s, n::text AS n, i, f::text AS f, b, at FROM ${name} ORDER BY k`
          : `SELECT k, s, typeof(s) AS ts, n, typeof(n) AS tn, i, typeof(i) AS ti, f, typeof(f) AS tf, b, typeof(b) AS tb, at, typeof(at) AS tat FROM ${name} ORDER BY k`,
      );

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = createDatabase({ url: tdb.url });
      sql = createSql(db);
      await sql.rows(table('by_values'));
      await sql.rows(table('by_json'));
    });

    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('stores every value as a VALUES list binds it, returns the inserted rows in order, drops conflicts', async () => {
      const data = rows('k');
      await sql.rows(
        `INSERT INTO by_values (${bulkColumns(COLUMNS)}) VALUES ${valuesList(data.length, COLUMNS.length)} RETURNING k`,
        data.flat(),
      );
      const bind: unknown[] = [];
      const source = bulkTuples(sql.dialect, COLUMNS, data, bind);
      assert.equal(bind.length, 1, 'the rows go as one parameter');
      const back = await sql.rows<{ k: string }>(
        `INSERT INTO by_json (${bulkColumns(COLUMNS)}) ${source} ON CONFLICT (k) DO NOTHING RETURNING k`,
        bind,
      );
      assert.deepEqual(
        back.map((r) => r.k),
        data.map((r) => r[0]),
      );
      const expected = await stored('by_values');
      assert.equal(expected.length, data.length);
      assert.deepEqual(await stored('by_json'), expected);
      if (kind === 'sqlite') {
        // The comparison means something: the reference itself kept text as text and integers exact.
        const byKey = new Map(expected.map((r) => [r.k, r]));
        assert.equal(byKey.get('k07')!.ts, 'text');
        assert.equal(byKey.get('k07')!.s, '123');
        assert.equal(byKey.get('k04')!.n, 2 ** 53);
        assert.equal(byKey.get('k04')!.tn, 'integer');
      } else {
        assert.equal(expected.find((r) => r.k === 'k04')!.n, String(2 ** 53));
      }

      // A second insert of the same keys and a new one: only the new one comes back.
      const again = [...data.slice(0, 3), ...rows('z').slice(0, 1)];
      const b2: unknown[] = [];
      const back2 = await sql.rows<{ k: string }>(
        `INSERT INTO by_json (${bulkColumns(COLUMNS)}) ${bulkTuples(sql.dialect, COLUMNS, again, b2)} ON CONFLICT (k) DO NOTHING RETURNING k`,
        b2,
      );
      assert.deepEqual(
        back2.map((r) => r.k),
        ['z00'],
      );
    });

    it('upserts with excluded values, serves an IN after another parameter, and takes more rows than SQLite binds', async () => {
      const cols: readonly BulkColumn[] = [
        ['k', 'text'],
        ['n', 'bigint'],
      ];
      const many = Array.from({ length: 20_000 }, (_, j) => [`m${j}`, j]);
      const bind: unknown[] = [];
      await sql.rows(
        `INSERT INTO by_json (${bulkColumns(cols)}) ${bulkTuples(sql.dialect, cols, many, bind)} RETURNING k`,
        bind,
      );
      const up: unknown[] = [];
      await sql.rows(
        `INSERT INTO by_json (${bulkColumns(cols)}) ${bulkTuples(
          sql.dialect,
          cols,
          [
            ['m1', 5],
            ['m2', -2],
          ],
          up,
        )}
         ON CONFLICT (k) DO UPDATE SET n = by_json.n + excluded.n RETURNING k`,
        up,
      );
      const kb: unknown[] = ['m1'];
      const found = await sql.rows<{ k: string; n: unknown }>(
        `SELECT k, n FROM by_json WHERE k <> $1 AND k IN (${bulkTuples(sql.dialect, [['k', 'text']], [['m1'], ['m2'], ['nope']], kb)}) ORDER BY k`,
        kb,
      );
      assert.deepEqual(
        found.map((r) => [r.k, Number(r.n)]),
        [['m2', 0]],
      );
      const total = await sql.rows<{ c: unknown }>(`SELECT COUNT(*) AS c FROM by_json WHERE k LIKE 'm%'`);
      assert.equal(Number(total[0].c), 20_000);
    });

    it('bulkSource takes the same rows as objects', async () => {
      await sql.rows('DELETE FROM by_json');
      const data = rows('k');
      const objects = data.map((r) => Object.fromEntries(COLUMNS.map(([n], j) => [n, r[j]])));
      const bind: unknown[] = [];
      await sql.rows(
        `INSERT INTO by_json (${bulkColumns(COLUMNS)}) ${bulkSource(sql.dialect, COLUMNS, objects, bind)}`,
        bind,
      );
      assert.equal(bind.length, 1);
      assert.deepEqual(await stored('by_json'), await stored('by_values'));
    });
  });
}
