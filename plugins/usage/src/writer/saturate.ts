import type { Dialect } from '@aihub/core/plugin-api';

/**
 * Saturating additions for the rollups (usage_daily, usage_answered). A rollup measure is a sum over
 * records that must never make the write fail: an overflowing BIGINT makes PostgreSQL refuse the
 * batch's upsert, so every later record of that rollup row would be dead-lettered, and SQLite turns
 * the column into a REAL. Records are capped (MAX_MICROS, MAX_INT), so only an absurd day of capped
 * records gets here; its rollup then stays at ROLLUP_MAX while ordinary records keep being stored.
 */

/**
 * The largest value a rollup measure holds: 2^53 − 1, what a JavaScript number reads back exactly
 * (readers and the accumulators work in numbers). `ROLLUP_MAX - delta` below cannot overflow for any
 * delta of ±ROLLUP_MAX. Readers that sum rollup rows (a month, a tenant's keys) saturate at it too
 * (saturatingSum): past ~1,024 rows at the maximum SQLite's SUM raised "integer overflow".
 */
export const ROLLUP_MAX = Number.MAX_SAFE_INTEGER;

/**
 * `a + b` bounded to ±ROLLUP_MAX, for the in-process accumulators (a batch's delta of one rollup
 * row). Deltas are negative only when a replaced row is taken out.
 */
export function saturatingAdd(a: number, b: number): number {
  const sum = a + b;
  return sum > ROLLUP_MAX ? ROLLUP_MAX : sum < -ROLLUP_MAX ? -ROLLUP_MAX : sum;
}

/**
 * The `SET` list of an upsert adding `excluded` to `table`'s measures without overflowing, the same
 * on PostgreSQL and SQLite: the stored value is compared with ROLLUP_MAX − delta before anything is
 * added (the addition itself never runs past the maximum; a row stored above it by an older version
 * is brought back to it). Same statement count as the plain addition, only its text is longer.
 */
export function saturatingSet(table: string, measures: readonly string[]): string {
  return measures
    .map(
      (m) =>
        `${m} = CASE WHEN ${table}.${m} > ${ROLLUP_MAX} - excluded.${m} THEN ${ROLLUP_MAX} ELSE ${table}.${m} + excluded.${m} END`,
    )
    .join(', ');
}

/**
 * SQL for the sum of a non-negative measure over rows, bounded to ROLLUP_MAX (0 without rows): what
 * readers of the rollups (and the invoice rollup's rebuild) take instead of SUM, so a sum past the
 * maximum reads as the maximum, like a saturated rollup row. PostgreSQL's SUM of BIGINT is NUMERIC (it
 * cannot overflow, but past 2^53 a JavaScript number rounds it): LEAST bounds it. SQLite's SUM of
 * integers raises "integer overflow" past 2^63 − 1, so this takes TOTAL, a REAL that is exact while
 * the sum is below 2^53 (the addends are non-negative, so is every partial sum) and at least 2^53
 * otherwise, which MIN brings to ROLLUP_MAX; the CAST gives back an INTEGER.
 */
export function saturatingSum(dialect: Dialect, expr: string): string {
  return dialect === 'postgres'
    ? `LEAST(COALESCE(SUM(${expr}), 0), ${ROLLUP_MAX})`
    : `CAST(MIN(TOTAL(${expr}), ${ROLLUP_MAX}) AS INTEGER)`;
}
