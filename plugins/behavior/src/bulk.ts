import { bulkSource, type BulkColumn } from '@aihub/core/plugin-api';
import type { Dialect } from './types';

/**
 * Many rows as the source of an INSERT (`INSERT INTO t (cols) <source> ON CONFLICT …`) or of an
 * `IN (…)`, bound as ONE parameter on both databases: PostgreSQL through core's bulkSource
 * (jsonb_to_recordset), SQLite as a JSON array of arrays read by json_each.
 *
 * Why not a VALUES list on SQLite: Sequelize's SQLite driver turns `$1…$n` into named parameters,
 * and SQLite finds each name by scanning its parameter list, so binding is quadratic in the values
 * of a statement: 500 events (7,000 values) took ~420 ms to insert vs ~25 ms bound by position
 * (node-sqlite3 directly, same table and indexes). One JSON parameter costs about what positional
 * binding does, and lets a statement take thousands of rows (no 32,766-parameter limit).
 *
 * On SQLite the values go through JSON: strings, numbers, booleans (as 1/0) and null arrive as they
 * would bound; pass anything else (objects for JSON columns, dates) already as text. A trailing
 * `WHERE true` keeps SQLite from reading a following `ON CONFLICT` as a join constraint.
 */
export function rowsSource(
  dialect: Dialect,
  columns: readonly BulkColumn[],
  rows: readonly Record<string, unknown>[],
  bind: unknown[],
): string {
  if (dialect === 'postgres') return bulkSource(dialect, columns, rows as Record<string, unknown>[], bind);
  bind.push(JSON.stringify(rows.map((r) => columns.map(([n]) => r[n] ?? null))));
  const select = columns.map(([n], i) => `json_extract(value, '$[${i}]') AS "${n}"`).join(', ');
  return `SELECT ${select} FROM json_each($${bind.length}) WHERE true`;
}
