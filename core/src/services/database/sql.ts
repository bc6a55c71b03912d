import type { Sequelize, Transaction } from 'sequelize';
import type { Database, Dialect } from './Database';

/**
 * A thin raw-SQL layer over the core Database (shared by plugins that write SQL by hand for bulk
 * inserts and analytics) that behaves the same on PostgreSQL and SQLite:
 * `$1`-style bind parameters, rows back from `RETURNING`, numbers back as numbers.
 */
export interface Sql {
  readonly dialect: Dialect;
  readonly sequelize: Sequelize;
  /** Runs a statement and returns its rows (SELECT, or any statement with RETURNING). */
  rows<T = Record<string, unknown>>(sql: string, bind?: unknown[], transaction?: Transaction): Promise<T[]>;
  transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T>;
}

/**
 * Wraps the core Database. Nothing is touched until the first query: plugins build their objects
 * while hooks and routes are declared, when I/O services are not available yet.
 */
export function createSql(database: Database): Sql {
  return {
    get dialect() {
      return database.dialect;
    },
    get sequelize() {
      return database.sequelize;
    },
    rows<T>(sql: string, bind: unknown[] = [], transaction?: Transaction) {
      // Sequelize's SQLite driver runs statements that start with "INSERT INTO" with run(), which
      // drops RETURNING rows; a leading comment makes it use all() (PostgreSQL ignores it).
      const text = database.dialect === 'sqlite' ? `/*rows*/ ${sql}` : sql;
      return database.sequelize.query(text, { bind, type: 'SELECT', transaction, raw: true }) as Promise<T[]>;
    },
    transaction: (fn) => database.transaction(fn),
  };
}

/** A number column from either driver (PostgreSQL returns BIGINT and SUM() as strings). */
export function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** A boolean column (SQLite stores 0/1). */
export function bool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** An instant column as ISO-8601 UTC (PostgreSQL returns Date, SQLite the stored text). */
export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string')
    return value.includes('T') ? new Date(value).toISOString() : new Date(value.replace(' ', 'T')).toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return '';
}

/** `$1, $2, …` placeholders for `count` values starting after `offset`. */
export function placeholders(count: number, offset: number): string {
  const out: string[] = [];
  for (let i = 1; i <= count; i++) out.push(`$${offset + i}`);
  return out.join(', ');
}

/** Multi-row VALUES list for rows of `width` columns: `($1, $2), ($3, $4)`. */
export function valuesList(rowCount: number, width: number, offset = 0): string {
  const rows: string[] = [];
  for (let r = 0; r < rowCount; r++) rows.push(`(${placeholders(width, offset + r * width)})`);
  return rows.join(', ');
}

/** Placeholder for an instant: PostgreSQL needs the type to compare text with timestamptz in some positions. */
export function instantParam(dialect: Dialect, index: number): string {
  return dialect === 'postgres' ? `$${index}::timestamptz` : `$${index}`;
}

/** A column of a bulk row source: its name and PostgreSQL type. */
export type BulkColumn = readonly [name: string, pgType: string];

/**
 * Many rows as the source of an INSERT (`INSERT INTO t (cols) <source>`). On PostgreSQL the rows go
 * as ONE jsonb parameter read by jsonb_to_recordset: a VALUES list of thousands of parameters costs
 * far more to bind and plan than the insert itself (measured: 10k rows/s vs 40k rows/s). On SQLite
 * they go as one JSON parameter too, read by json_each (see bulkTuples for why, and for how values
 * arrive). Column names are quoted, so `timestamp` is fine.
 */
export function bulkSource(
  dialect: Dialect,
  columns: readonly BulkColumn[],
  rows: readonly Record<string, unknown>[],
  bind: unknown[],
): string {
  if (dialect === 'postgres') {
    bind.push(JSON.stringify(rows));
    const defs = columns.map(([n, t]) => `"${n}" ${t}`).join(', ');
    return `SELECT ${columns.map(([n]) => `"${n}"`).join(', ')} FROM jsonb_to_recordset($${bind.length}::jsonb) AS x(${defs})`;
  }
  return bulkTuples(
    dialect,
    columns,
    rows.map((r) => columns.map(([n]) => r[n] ?? null)),
    bind,
  );
}

/**
 * Many rows, each an array of values in column order, as the source of an INSERT (`INSERT INTO t
 * (cols) <source> ON CONFLICT …`) or of an `IN (…)`: ONE JSON parameter (an array of arrays, so the
 * column names are not repeated in every row) on both databases.
 *
 * Why one parameter: a VALUES list of `$n` placeholders makes Sequelize rewrite the statement once
 * per parameter (a regex replace with a match and substrings per `$n`: 13 % of all a gateway's
 * allocation came from the usage writer's 400-row × 38-column INSERT), and on SQLite Sequelize binds
 * `$n` as NAMED parameters that SQLite finds by scanning its list, so binding is quadratic in the
 * values of a statement. One parameter also lifts the bound-value limits (SQLite 32,766, PostgreSQL
 * 65,535), so a statement can take thousands of rows.
 *
 * How values arrive: as a VALUES list would have bound them, through JSON. Strings (numeric-looking
 * text stays text), integers up to 2^53, decimals (shortest round-trip text, so the same double),
 * booleans (PostgreSQL boolean; SQLite 1/0, as its driver binds them) and null. Pass anything else
 * already converted: instants as ISO-8601 text (PostgreSQL casts it to the column's `pgType`),
 * objects for a text column as JSON text. Not for NaN or ±Infinity (JSON has none: they would arrive
 * as NULL). On PostgreSQL each field is `->>` text cast to its `pgType` (`->` for json/jsonb, so a
 * JSON value stays one), i.e. the type's own input function, as a text parameter would be. On SQLite
 * a trailing `WHERE true` keeps a following `ON CONFLICT` from being read as a join constraint.
 */
export function bulkTuples(
  dialect: Dialect,
  columns: readonly BulkColumn[],
  tuples: readonly (readonly unknown[])[],
  bind: unknown[],
): string {
  bind.push(JSON.stringify(tuples));
  const param = `$${bind.length}`;
  if (dialect === 'postgres') {
    const fields = columns.map(([n, t], i) =>
      /^jsonb?$/i.test(t) ? `(x.v -> ${i})::${t} AS "${n}"` : `(x.v ->> ${i})::${t} AS "${n}"`,
    );
    return `SELECT ${fields.join(', ')} FROM jsonb_array_elements(${param}::jsonb) AS x(v)`;
  }
  const fields = columns.map(([n], i) => `json_extract(value, '$[${i}]') AS "${n}"`);
  return `SELECT ${fields.join(', ')} FROM json_each(${param}) WHERE true`;
}

/** Column list for an INSERT matching bulkSource. */
export function bulkColumns(columns: readonly BulkColumn[]): string {
  return columns.map(([n]) => `"${n}"`).join(', ');
}
