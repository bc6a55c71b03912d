import type { Dialect } from '@aihub/core/plugin-api';
import type { UsageRow } from '../records';
import { utcDay } from '../time';

/**
 * Daily histograms of request latency and gateway overhead (usage_latency), kept in the same
 * transaction as the records, so that exact nearest-rank percentiles over a long range do not sort a
 * million records: the histogram says which bucket holds rank k and how many values lie below it,
 * and one indexed read of the records inside that bucket gives the exact value (see percentile.ts).
 *
 * Values are bucketed as integers so that JavaScript, SQLite and PostgreSQL put every value in the
 * same bucket: latency in whole milliseconds (the column is an integer), overhead in hundredths of a
 * millisecond (truncated). An integer `u` goes to the bucket of its two leading digits (u < 100: its
 * own bucket; then widths 10, 100, 1000 … per decade): at most ~90 buckets per decade.
 */
export type HistogramMetric = 'latency' | 'overhead';

export const HISTOGRAM_METRICS: readonly HistogramMetric[] = ['latency', 'overhead'];

/** Width of the bucket an integer in the same decade as `u` falls in. */
export function bucketWidth(u: number): number {
  let w = 1;
  while (u >= 100 * w) w *= 10;
  return w;
}

/** The bucket (its lower bound) of a non-negative integer. */
export function bucketOf(u: number): number {
  return u - (u % bucketWidth(u));
}

/** The integer a metric's value is bucketed by (null: not measured). */
export function unitsOf(metric: HistogramMetric, row: Pick<UsageRow, 'latencyMs' | 'overheadMs'>): number | null {
  if (metric === 'latency') return row.latencyMs;
  return row.overheadMs === null || row.overheadMs === undefined ? null : Math.trunc(row.overheadMs * 100);
}

/** The record column of a metric. */
export const METRIC_COLUMN: Record<HistogramMetric, 'latency_ms' | 'overhead_ms'> = {
  latency: 'latency_ms',
  overhead: 'overhead_ms',
};

/**
 * SQL for unitsOf over a records row: the same IEEE double product as JavaScript, truncated (SQLite's
 * CAST truncates; PostgreSQL's rounds, hence FLOOR, equal for the non-negative values stored).
 */
export function unitsSql(dialect: Dialect, metric: HistogramMetric): string {
  if (metric === 'latency') return 'latency_ms';
  return dialect === 'postgres' ? 'CAST(FLOOR(overhead_ms * 100) AS BIGINT)' : 'CAST(overhead_ms * 100 AS INTEGER)';
}

/** SQL for bucketOf(units), as a CASE over the decades an integer column can reach. */
export function bucketSql(units: string): string {
  const cases: string[] = [];
  for (let w = 10; w <= 1e12; w *= 10) cases.push(`WHEN ${units} < ${100 * w} THEN ${units} - ${units} % ${w}`);
  return `CASE WHEN ${units} < 100 THEN ${units} ${cases.join(' ')} ELSE ${units} END`;
}

/** Day of a record as SQL (instants are ISO text on SQLite, timestamptz on PostgreSQL). */
export function daySql(dialect: Dialect): string {
  return dialect === 'postgres' ? `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr(created_at, 1, 10)';
}

/** Counts per (tenant, metric, day, bucket); a -1 removes a replaced row. */
export class HistogramAccumulator {
  private readonly map = new Map<
    string,
    { tenantId: string; metric: HistogramMetric; day: string; bucket: number; n: number }
  >();

  add(row: UsageRow, sign: 1 | -1 = 1): void {
    if (row.tenantId === null) return;
    for (const metric of HISTOGRAM_METRICS) {
      const u = unitsOf(metric, row);
      if (u === null) continue;
      const day = utcDay(row.createdMs);
      const bucket = bucketOf(u);
      const id = `${row.tenantId}\u0000${metric}\u0000${day}\u0000${bucket}`;
      const e = this.map.get(id);
      if (e) e.n += sign;
      else this.map.set(id, { tenantId: row.tenantId, metric, day, bucket, n: sign });
    }
  }

  /** Non-zero entries, sorted by key so concurrent writers lock rows in the same order. */
  entries() {
    return [...this.map.entries()]
      .filter(([, e]) => e.n !== 0)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, e]) => e);
  }
}

/**
 * Fills the histograms from usage_records (the migration's backfill, and tools that load records in
 * bulk), for one tenant or all. `run` executes a statement with `$n` bind parameters.
 */
export async function rebuildHistograms(
  dialect: Dialect,
  run: (statement: string, bind: unknown[]) => Promise<unknown>,
  tables: { records: string; latency: string },
  tenantId?: string,
): Promise<void> {
  const day = daySql(dialect);
  for (const metric of HISTOGRAM_METRICS) {
    const b = bucketSql(unitsSql(dialect, metric));
    const bind: unknown[] = tenantId === undefined ? [] : [tenantId];
    await run(
      `INSERT INTO ${tables.latency} (tenant_id, metric, day, bucket, requests)
       SELECT tenant_id, '${metric}', ${day}, ${b}, COUNT(*) FROM ${tables.records}
       WHERE tenant_id IS NOT NULL AND ${METRIC_COLUMN[metric]} IS NOT NULL${tenantId === undefined ? '' : ' AND tenant_id = $1'}
       GROUP BY tenant_id, ${day}, ${b}`,
      bind,
    );
  }
}
