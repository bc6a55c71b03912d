import { authorizeTenant as authorize, errors, num, validated, type PluginContext, type PluginRouter, type Sql } from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { UsageConfig } from '../config';
import { microsToUsd } from '../money';
import { addDays, daysBetween, utcDay } from '../time';
import type { budgetReport } from './budgetRoutes';
import { budgetResponse, dayParam, tenantParams } from './schemas';
import { metricsOf, type UsageReader } from './UsageReader';

/** How many keys, models and teams the overview lists. */
const TOP_N = 5;

const summaryQuery = z
  .object({
    from: z.string({ error: 'give from once, as a UTC date YYYY-MM-DD' }).pipe(dayParam).optional().describe('First UTC day, inclusive (default: 6 days before `to`)'),
    to: z.string({ error: 'give to once, as a UTC date YYYY-MM-DD' }).pipe(dayParam).optional().describe('Last UTC day, inclusive (default: today)'),
  })
  .strict();

const top = z.array(z.object({ id: z.string().nullable(), requests: z.number(), cost_micros: z.number(), cost_usd: z.string() }));

export const summaryResponse = z.object({
  object: z.literal('usage_summary'),
  tenant_id: z.string(),
  from: z.string(),
  to: z.string(),
  requests: z.number(),
  error_requests: z.number(),
  error_rate: z.number().nullable().describe('error_requests / requests (null without requests)'),
  cache_hits: z.number(),
  cache_hit_ratio: z.number().nullable().describe('cache_hits / requests (null without requests)'),
  cost_micros: z.number(),
  cost_usd: z.string(),
  total_tokens: z.number(),
  latency: z
    .object({ p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), avg_ms: z.number().nullable() })
    .describe('Nearest-rank percentiles of the request latency over the range (same on PostgreSQL and SQLite)'),
  overhead: z
    .object({ p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), measured_requests: z.number().describe('Requests with a recorded overhead (older records have none)') })
    .describe("Nearest-rank percentiles of the gateway's own time per request (x-aihub-overhead-ms: total minus upstream waits) over the range"),
  budget: budgetResponse.describe('The tenant budget with spend today and this month (as GET …/budgets)'),
  top: z.object({ keys: top, models: top, teams: top }).describe(`The ${TOP_N} biggest by cost, then requests`),
});

/**
 * The `p`-th percentile (0 < p ≤ 1) of latency by the nearest-rank method: the value at rank
 * ceil(p·n) in ascending order. Both databases answer it exactly with ORDER BY … OFFSET, so SQLite
 * (no percentile_cont) and PostgreSQL agree; the (tenant_id, created_at) index bounds the scan.
 */
async function percentile(sql: Sql, records: string, where: { clause: string; bind: unknown[] }, n: number, p: number, column: 'latency_ms' | 'overhead_ms' = 'latency_ms'): Promise<number | null> {
  if (n === 0) return null;
  const offset = Math.max(0, Math.ceil(p * n) - 1);
  const notNull = column === 'latency_ms' ? '' : ` AND ${column} IS NOT NULL`;
  const rows = await sql.rows<{ v: unknown }>(`SELECT ${column} AS v FROM ${records} WHERE ${where.clause}${notNull} ORDER BY ${column} LIMIT 1 OFFSET ${offset}`, where.bind);
  return rows[0] ? Number(rows[0].v) : null;
}

/**
 * GET /admin/v1/tenants/:tenantId/usage/summary: everything the console's overview shows in one
 * request — totals from the daily rollups, latency percentiles from the request records, the tenant
 * budget report and the top keys, models and teams, and the gateway's overhead percentiles from the
 * per-request overhead the usage records carry (the same figure as each answer's x-aihub-overhead-ms).
 */
export function summaryRoute(
  router: PluginRouter,
  ctx: PluginContext<UsageConfig>,
  reader: UsageReader,
  sql: Sql,
  tables: { records: string },
  describeBudget: ReturnType<typeof budgetReport>,
): void {
  router.get(
    '/admin/v1/tenants/:tenantId/usage/summary',
    async (c) => {
      const { params, query } = validated<z.output<typeof summaryQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      const to = query.to ?? utcDay(ctx.clock.now());
      const from = query.from ?? addDays(to, -6);
      if (from > to) throw errors.badRequest(`from (${from}) is after to (${to}); swap them.`, 'invalid_range', 'from');
      const maxDays = ctx.config.api.maxRangeDays;
      if (daysBetween(from, to).length > maxDays) throw errors.badRequest(`The range ${from}..${to} is longer than ${maxDays} days; ask for a shorter one.`, 'invalid_range', 'from');
      const f = { tenantId: params.tenantId, from, to };
      // Records carry instants; the range is whole UTC days, [from 00:00, to+1 00:00).
      const ts = (i: number) => (sql.dialect === 'postgres' ? `$${i}::timestamptz` : `$${i}`);
      const recordsWhere = { clause: `tenant_id = $1 AND created_at >= ${ts(2)} AND created_at < ${ts(3)}`, bind: [params.tenantId, `${from}T00:00:00.000Z`, `${addDays(to, 1)}T00:00:00.000Z`] };
      const [totalsRow, byKey, byModel, byTeam, counted, budget] = await Promise.all([
        reader.totals(f),
        reader.grouped(f, ['key']),
        reader.grouped(f, ['model']),
        reader.grouped(f, ['team']),
        sql.rows<{ n: unknown; o: unknown }>(`SELECT COUNT(*) AS n, COUNT(overhead_ms) AS o FROM ${tables.records} WHERE ${recordsWhere.clause}`, recordsWhere.bind),
        describeBudget(params.tenantId, 'tenant', params.tenantId),
      ]);
      const n = num(counted[0]?.n);
      const measured = num(counted[0]?.o);
      const [p50, p95, o50, o95] = await Promise.all([
        percentile(sql, tables.records, recordsWhere, n, 0.5),
        percentile(sql, tables.records, recordsWhere, n, 0.95),
        percentile(sql, tables.records, recordsWhere, measured, 0.5, 'overhead_ms'),
        percentile(sql, tables.records, recordsWhere, measured, 0.95, 'overhead_ms'),
      ]);
      const totals = metricsOf(totalsRow);
      const topOf = (rows: Record<string, unknown>[], col: string) =>
        rows
          .map((r) => ({ id: r[col] === '' || r[col] == null ? null : String(r[col]), requests: num(r.requests), cost_micros: num(r.cost_micros) }))
          .sort((a, b) => b.cost_micros - a.cost_micros || b.requests - a.requests || String(a.id).localeCompare(String(b.id)))
          .slice(0, TOP_N)
          .map((r) => ({ ...r, cost_usd: microsToUsd(r.cost_micros) }));
      const ratio = (x: number) => (totals.requests ? x / totals.requests : null);
      c.set('cache-control', 'no-store');
      c.body = {
        object: 'usage_summary',
        tenant_id: params.tenantId,
        from,
        to,
        requests: totals.requests,
        error_requests: totals.error_requests,
        error_rate: ratio(totals.error_requests),
        cache_hits: totals.cache_hits,
        cache_hit_ratio: ratio(totals.cache_hits),
        cost_micros: totals.cost_micros,
        cost_usd: totals.cost_usd,
        total_tokens: totals.total_tokens,
        latency: { p50_ms: p50, p95_ms: p95, avg_ms: totals.avg_latency_ms },
        overhead: { p50_ms: o50, p95_ms: o95, measured_requests: measured },
        budget,
        top: { keys: topOf(byKey, 'key_id'), models: topOf(byModel, 'model'), teams: topOf(byTeam, 'team_id') },
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary: "A tenant's overview in one request: requests, error rate, latency percentiles, cache hit ratio, spend against budget, top keys, models and teams",
      schema: { params: tenantParams, query: summaryQuery, responses: { 200: summaryResponse }, tag: 'usage', operationId: 'getUsageSummary' },
    },
  );
}
