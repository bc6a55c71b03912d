import { Readable } from 'node:stream';
import { errors, validated, type PluginContext, type PluginRouter } from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { UsageConfig } from '../config';
import type { Sql } from '@aihub/core/plugin-api';
import { addDays, daysBetween, utcDay } from '../time';
import { authorizeTenant as authorize } from '@aihub/core/plugin-api';
import { exportDays, exportRequests } from './exportCsv';
import { buildInvoice } from './invoice';
import { keyNames } from './keyNames';
import { exportQuery, monthParam, tenantParams, usageQuery, usageResponse, type GroupDimension } from './schemas';
import { DIMENSION_COLUMN, metricsOf, type UsageFilter, type UsageReader } from './UsageReader';

type UsageQuery = z.output<typeof usageQuery>;

/** Resolves and checks the day range of a query (defaults: the 30 days up to today, UTC). */
function range(q: { from?: string; to?: string }, now: number, maxDays: number): { from: string; to: string } {
  const to = q.to ?? utcDay(now);
  const from = q.from ?? addDays(to, -29);
  if (from > to) throw errors.badRequest(`from (${from}) is after to (${to}); swap them.`, 'invalid_range', 'from');
  if (daysBetween(from, to).length > maxDays)
    throw errors.badRequest(
      `The range ${from}..${to} is longer than ${maxDays} days; ask for a shorter one.`,
      'invalid_range',
      'from',
    );
  return { from, to };
}

function filterOf(tenantId: string, q: Omit<UsageQuery, 'group_by'>, r: { from: string; to: string }): UsageFilter {
  return { tenantId, from: r.from, to: r.to, model: q.model, provider: q.provider, keyId: q.key_id, teamId: q.team_id };
}

/** Usage totals and series, the CSV export and invoices under /admin/v1/tenants/:tenantId. */
export function usageRoutes(
  router: PluginRouter,
  ctx: PluginContext<UsageConfig>,
  reader: UsageReader,
  sql: Sql,
  tables: { records: string; daily: string; answered: string },
): void {
  const base = '/admin/v1/tenants/:tenantId';
  const api = ctx.config.api;

  router.get(
    `${base}/usage`,
    async (c) => {
      const { params, query } = validated<UsageQuery, { tenantId: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      const r = range(query, ctx.clock.now(), api.maxRangeDays);
      const f = filterOf(params.tenantId, query, r);
      const groupBy = [...new Set(query.group_by ?? ['day'])] as GroupDimension[];
      const [totals, rows] = await Promise.all([reader.totals(f), reader.grouped(f, groupBy)]);
      let data: Record<string, unknown>[] = rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (const d of groupBy) {
          const v = row[DIMENSION_COLUMN[d]];
          out[d === 'key' ? 'key_id' : d === 'team' ? 'team_id' : d] =
            v === '' || v === null || v === undefined ? (d === 'day' ? '' : null) : String(v);
        }
        return { ...out, ...metricsOf(row) };
      });
      if (groupBy.includes('key')) {
        const names = await keyNames(
          ctx,
          params.tenantId,
          data.map((d) => d.key_id as string | null),
        );
        data = data.map((d) => ({ ...d, key_name: (d.key_id && names.get(d.key_id as string)) ?? null }));
      }
      if (groupBy.length === 1 && groupBy[0] === 'day') {
        // A time series: every day of the range, zero where nothing was used.
        const byDay = new Map(data.map((d) => [d.day as string, d]));
        data = daysBetween(r.from, r.to).map((day) => byDay.get(day) ?? { day, ...metricsOf({}) });
      }
      c.body = {
        object: 'usage',
        tenant_id: params.tenantId,
        from: r.from,
        to: r.to,
        group_by: groupBy,
        totals: metricsOf(totals),
        data,
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary: 'Usage totals and series for a tenant, grouped by day, model, provider, key or team',
      schema: {
        params: tenantParams,
        query: usageQuery,
        responses: { 200: usageResponse },
        tag: 'usage',
        operationId: 'getUsage',
      },
    },
  );

  router.get(
    `${base}/usage/export.csv`,
    async (c) => {
      const { params, query } = validated<z.output<typeof exportQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      const r = range(query, ctx.clock.now(), api.maxRangeDays);
      const f = filterOf(params.tenantId, query, r);
      const lines =
        query.granularity === 'day'
          ? exportDays(sql, tables.daily, f, api.exportPageSize)
          : exportRequests(sql, tables.records, { ...f, status: query.status }, api.exportPageSize);
      // Read the first page before answering, so a database error is a clean 5xx, not a cut download.
      const first = await lines.next();
      const stream = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          try {
            yield* lines;
          } catch (err) {
            ctx.logger.error('usage CSV export failed mid-stream', { err, tenant_id: params.tenantId });
            throw err;
          }
        })(),
      );
      c.set('content-type', 'text/csv; charset=utf-8');
      c.set(
        'content-disposition',
        `attachment; filename="usage-${params.tenantId.replace(/[^A-Za-z0-9_-]/g, '_')}-${r.from}-${r.to}${query.granularity === 'day' ? '-daily' : ''}.csv"`,
      );
      c.set('cache-control', 'no-store');
      c.body = stream;
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary: 'Usage as CSV (streamed): one line per request, or per day with granularity=day',
      schema: { params: tenantParams, query: exportQuery, tag: 'usage', operationId: 'exportUsageCsv' },
    },
  );

  router.get(
    `${base}/invoices/:period`,
    async (c) => {
      const { params } = validated<unknown, { tenantId: string; period: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      c.body = await buildInvoice(sql, tables.answered, params.tenantId, params.period, ctx.clock.now());
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary: "A tenant's invoice for one UTC month (YYYY-MM), with line items by model",
      schema: { params: tenantParams.extend({ period: monthParam }), tag: 'usage', operationId: 'getInvoice' },
    },
  );
}
