import {
  TENANT_DIRECTORY,
  authorizeTenant as authorize,
  errors,
  instantParam,
  iso,
  validated,
  type PluginContext,
  type PluginRouter,
  type Sql,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { UsageConfig } from '../config';
import { microsToUsd } from '../money';
import { tenantParams } from './schemas';

export const alertsQuery = z
  .object({
    limit: z.coerce.number().int().min(1, 'limit must be 1 to 200').max(200, 'limit must be 1 to 200').default(50),
    cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  })
  .strict();

const alertOut = z.object({
  id: z.string(),
  kind: z.enum(['soft', 'hard']),
  level: z.enum(['tenant', 'team', 'key']),
  target_id: z.string(),
  period: z.enum(['daily', 'monthly']),
  period_key: z.string(),
  limit_micros: z.number(),
  spent_micros: z.number(),
  spent_usd: z.string(),
  created_at: z.string(),
  webhook_state: z.enum(['none', 'pending', 'delivered', 'failed']),
  attempts: z.number(),
  last_error: z.string().nullable(),
});

export const alertsResponse = z.object({
  object: z.literal('list'),
  data: z.array(alertOut),
  next_cursor: z.string().nullable(),
  webhook: z.object({
    configured: z
      .boolean()
      .describe('Whether budgets.webhook.url is set (operator config); the URL itself is not shown'),
  }),
});

/** Keyset cursor over (created_at DESC, id DESC): `<ISO instant>|<id>`, base64url. */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = raw.indexOf('|');
  const createdAt = raw.slice(0, bar);
  if (bar < 1 || Number.isNaN(Date.parse(createdAt)))
    throw errors.badRequest('cursor is not one this API returned; start again without it.', 'invalid_cursor', 'cursor');
  return { createdAt, id: raw.slice(bar + 1) };
}

/**
 * `GET /admin/v1/tenants/:tenantId/budget-alerts`: the tenant's budget alerts, newest first, with
 * each one's webhook delivery state (read-only: alerts are fired by spend, never by hand).
 */
export function alertRoutes(router: PluginRouter, ctx: PluginContext<UsageConfig>, sql: Sql, table: string): void {
  router.get(
    '/admin/v1/tenants/:tenantId/budget-alerts',
    async (c) => {
      const { params, query } = validated<z.output<typeof alertsQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      const directory = ctx.tryGet(TENANT_DIRECTORY);
      if (directory && !(await directory.get(params.tenantId)))
        throw errors.notFound(`Tenant ${params.tenantId} does not exist.`, 'tenant_not_found');
      const bind: unknown[] = [params.tenantId];
      let where = 'tenant_id = $1';
      if (query.cursor) {
        const at = decodeCursor(query.cursor);
        const ts = instantParam(sql.dialect, 2);
        // SQLite stores the instant as ISO text, which sorts as the instant does.
        where += ` AND (created_at < ${ts} OR (created_at = ${ts} AND id < $3))`;
        bind.push(at.createdAt, at.id);
      }
      bind.push(query.limit + 1);
      const rows = await sql.rows(
        `SELECT id, kind, level, target_id, period, period_key, limit_micros, spent_micros, created_at, webhook_state, attempts, last_error
         FROM ${table} WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${bind.length}`,
        bind,
      );
      const page = rows.slice(0, query.limit).map((r) => ({
        id: String(r.id),
        kind: r.kind,
        level: r.level,
        target_id: String(r.target_id),
        period: r.period,
        period_key: String(r.period_key),
        limit_micros: Number(r.limit_micros),
        spent_micros: Number(r.spent_micros),
        spent_usd: microsToUsd(Number(r.spent_micros)),
        created_at: iso(r.created_at),
        webhook_state: r.webhook_state,
        attempts: Number(r.attempts) || 0,
        last_error: r.last_error == null ? null : String(r.last_error),
      }));
      const last = page.at(-1);
      c.body = {
        object: 'list',
        data: page,
        next_cursor: rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null,
        webhook: { configured: !!ctx.config.budgets.webhook.url },
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'budgets'],
      summary: "A tenant's budget alerts (soft and hard, newest first) and their webhook delivery state",
      schema: {
        params: tenantParams,
        query: alertsQuery,
        responses: { 200: alertsResponse },
        tag: 'budgets',
        operationId: 'listBudgetAlerts',
      },
    },
  );
}
