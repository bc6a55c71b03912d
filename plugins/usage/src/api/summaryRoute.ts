import {
  authorizeTenant as authorize,
  errors,
  num,
  validated,
  type PluginContext,
  type PluginRouter,
  type Sql,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { UsageConfig } from '../config';
import { microsToUsd } from '../money';
import { addDays, daysBetween, utcDay } from '../time';
import type { budgetReport } from './budgetRoutes';
import { budgetResponse, dayParam, tenantParams } from './schemas';
import { percentiles, type PercentileTables } from './percentile';
import { keyNames } from './keyNames';
import { metricsOf, type UsageReader } from './UsageReader';

/** How many keys, models and teams the overview lists. */
const TOP_N = 5;

const summaryQuery = z
  .object({
    from: z
      .string({ error: 'give from once, as a UTC date YYYY-MM-DD' })
      .pipe(dayParam)
      .optional()
      .describe('First UTC day, inclusive (default: 6 days before `to`)'),
    to: z
      .string({ error: 'give to once, as a UTC date YYYY-MM-DD' })
      .pipe(dayParam)
      .optional()
      .describe('Last UTC day, inclusive (default: today)'),
  })
  .strict();

const topItem = z.object({
  id: z.string().nullable(),
  requests: z.number(),
  cost_micros: z.number(),
  cost_usd: z.string(),
});
const top = z.array(topItem);
const topKeys = z.array(
  topItem.extend({ name: z.string().nullable().describe("The key's (or OAuth client's) name; null when deleted") }),
);

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
    .object({
      p50_ms: z.number().nullable(),
      p95_ms: z.number().nullable(),
      measured_requests: z.number().describe('Requests with a recorded overhead (older records have none)'),
    })
    .describe(
      "Nearest-rank percentiles of the gateway's own time per request (x-aihub-overhead-ms: total minus upstream waits) over the range",
    ),
  budget: budgetResponse.describe('The tenant budget with spend today and this month (as GET …/budgets)'),
  top: z.object({ keys: topKeys, models: top, teams: top }).describe(`The ${TOP_N} biggest by cost, then requests`),
});

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
  tables: PercentileTables,
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
      if (daysBetween(from, to).length > maxDays)
        throw errors.badRequest(
          `The range ${from}..${to} is longer than ${maxDays} days; ask for a shorter one.`,
          'invalid_range',
          'from',
        );
      const f = { tenantId: params.tenantId, from, to };
      // Exact nearest-rank percentiles from the daily histograms plus one bucket of the records (percentile.ts).
      const [totalsRow, byKey, byModel, byTeam, latency, overhead, budget] = await Promise.all([
        reader.totals(f),
        reader.grouped(f, ['key']),
        reader.grouped(f, ['model']),
        reader.grouped(f, ['team']),
        percentiles(sql, tables, params.tenantId, from, to, 'latency', [0.5, 0.95]),
        percentiles(sql, tables, params.tenantId, from, to, 'overhead', [0.5, 0.95]),
        describeBudget(params.tenantId, 'tenant', params.tenantId),
      ]);
      const [p50, p95] = latency.values;
      const [o50, o95] = overhead.values;
      const totals = metricsOf(totalsRow);
      const topOf = (rows: Record<string, unknown>[], col: string) =>
        rows
          .map((r) => ({
            id: r[col] === '' || r[col] == null ? null : String(r[col]),
            requests: num(r.requests),
            cost_micros: num(r.cost_micros),
          }))
          .sort(
            (a, b) =>
              b.cost_micros - a.cost_micros || b.requests - a.requests || String(a.id).localeCompare(String(b.id)),
          )
          .slice(0, TOP_N)
          .map((r) => ({ ...r, cost_usd: microsToUsd(r.cost_micros) }));
      const topKeyRows = topOf(byKey, 'key_id');
      const names = await keyNames(
        ctx,
        params.tenantId,
        topKeyRows.map((k) => k.id),
      );
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
        overhead: { p50_ms: o50, p95_ms: o95, measured_requests: overhead.n },
        budget,
        top: {
          keys: topKeyRows.map((k) => ({ ...k, name: (k.id && names.get(k.id)) ?? null })),
          models: topOf(byModel, 'model'),
          teams: topOf(byTeam, 'team_id'),
        },
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary:
        "A tenant's overview in one request: requests, error rate, latency percentiles, cache hit ratio, spend against budget, top keys, models and teams",
      schema: {
        params: tenantParams,
        query: summaryQuery,
        responses: { 200: summaryResponse },
        tag: 'usage',
        operationId: 'getUsageSummary',
      },
    },
  );
}
