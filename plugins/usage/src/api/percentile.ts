import { num, type Sql } from '@aihub/core/plugin-api';
import { addDays } from '../time';
import { bucketWidth, METRIC_COLUMN, unitsSql, type HistogramMetric } from '../writer/histogram';
import { saturatingSum } from '../writer/saturate';

export interface PercentileTables {
  records: string;
  latency: string;
}

export interface Percentiles {
  /** How many records of the range carry the metric. */
  n: number;
  /** One value per requested percentile, null without records. */
  values: (number | null)[];
}

/**
 * Exact nearest-rank percentiles (the value at rank ceil(p·n) in ascending order) of a metric over
 * a tenant's whole UTC days [from, to], without sorting the range's records: the daily histogram
 * (usage_latency) gives n, the bucket that holds rank k and how many values lie below that bucket;
 * one read of the records inside the bucket, in the order of the (tenant_id, metric, created_at)
 * index, gives the value at the remaining offset. The bucket bound is on the same integer units the
 * histogram was built with, so both count exactly the same rows; PostgreSQL and SQLite agree.
 */
export async function percentiles(
  sql: Sql,
  tables: PercentileTables,
  tenantId: string,
  from: string,
  to: string,
  metric: HistogramMetric,
  ps: number[],
): Promise<Percentiles> {
  const hist = await sql.rows<{ bucket: unknown; n: unknown }>(
    `SELECT bucket, ${saturatingSum(sql.dialect, 'requests')} AS n FROM ${tables.latency} WHERE tenant_id = $1 AND metric = $2 AND day >= $3 AND day <= $4 GROUP BY bucket ORDER BY bucket`,
    [tenantId, metric, from, to],
  );
  const buckets = hist.map((h) => ({ lo: num(h.bucket), n: num(h.n) })).filter((b) => b.n > 0);
  const n = buckets.reduce((a, b) => a + b.n, 0);
  if (n === 0) return { n, values: ps.map(() => null) };
  const ts = (i: number) => (sql.dialect === 'postgres' ? `$${i}::timestamptz` : `$${i}`);
  const column = METRIC_COLUMN[metric];
  // SQLite's planner, without ANALYZE statistics, would rather range-scan (tenant_id, created_at).
  const index = sql.dialect === 'sqlite' ? ` INDEXED BY ${tables.records}_tenant_${metric}` : '';
  const units = unitsSql(sql.dialect, metric);
  const values = await Promise.all(
    ps.map(async (p) => {
      const k = Math.max(1, Math.ceil(p * n));
      let below = 0;
      let bucket = buckets[buckets.length - 1];
      for (const b of buckets) {
        if (below + b.n >= k) {
          bucket = b;
          break;
        }
        below += b.n;
      }
      const hi = bucket.lo + bucketWidth(bucket.lo);
      const bind: unknown[] = [tenantId, `${from}T00:00:00.000Z`, `${addDays(to, 1)}T00:00:00.000Z`];
      let inBucket: string;
      if (metric === 'latency') {
        bind.push(bucket.lo, hi);
        inBucket = `${column} >= $4 AND ${column} < $5`;
      } else {
        // Overhead is fractional: the index range has a margin, the exact bucket test is on its units.
        bind.push((bucket.lo - 1) / 100, (hi + 1) / 100, bucket.lo, hi);
        inBucket = `${column} >= $4 AND ${column} < $5 AND ${units} >= $6 AND ${units} < $7`;
      }
      const rows = await sql.rows<{ v: unknown }>(
        `SELECT ${column} AS v FROM ${tables.records}${index} WHERE tenant_id = $1 AND ${inBucket} AND created_at >= ${ts(2)} AND created_at < ${ts(3)}
         ORDER BY ${column} LIMIT 1 OFFSET ${k - below - 1}`,
        bind,
      );
      return rows[0] ? Number(rows[0].v) : null;
    }),
  );
  return { n, values };
}
