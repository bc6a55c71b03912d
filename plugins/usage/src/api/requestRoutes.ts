import {
  authorizeTenant as authorize,
  errors,
  validated,
  type PluginContext,
  type PluginRouter,
  type Sql,
} from '@aihub/core/plugin-api';
import type { z } from 'zod';
import type { UsageConfig } from '../config';
import { microsToUsd } from '../money';
import type { UsageRow } from '../records';
import { rowFromDb } from '../writer/UsageWriter';
import { keyNames } from './keyNames';
import {
  requestDetailView,
  requestListQuery,
  requestListView,
  requestParams,
  type RequestListQuery,
} from './requestSchemas';

const DEFAULT_LIMIT = 50;

function invalidCursor() {
  return errors.badRequest(
    'The cursor is not one this API returned; pass next_cursor from the previous page unchanged (with the same filters).',
    'invalid_cursor',
    'cursor',
  );
}

/** Cursor of the newest-first list: the last row's (created_at, request_id), opaque to clients. */
export function encodeRequestCursor(createdAt: string, requestId: string): string {
  return Buffer.from(`r:${createdAt}|${requestId}`).toString('base64url');
}

export function decodeRequestCursor(cursor: string): { createdAt: string; requestId: string } {
  const m = /^r:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(.{1,128})$/s.exec(
    Buffer.from(cursor, 'base64url').toString(),
  );
  if (!m || !Number.isFinite(Date.parse(m[1]))) throw invalidCursor();
  return { createdAt: m[1], requestId: m[2] };
}

/** One request as the API shows it (the list's item; the detail adds the attempts). */
export function requestView(r: UsageRow, keyName: string | null = null) {
  return {
    request_id: r.requestId,
    created_at: r.createdAt,
    endpoint: r.endpoint,
    model: r.model,
    resolved_model: r.resolvedModel,
    provider: r.provider,
    deployment: r.deployment,
    key_id: r.keyId,
    key_name: keyName,
    team_id: r.teamId,
    user_id: r.userId,
    experiment: r.experiment,
    variant: r.variant,
    status: r.status,
    http_status: r.httpStatus,
    error_code: r.errorCode,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs,
    overhead_ms: r.overheadMs,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    cached_tokens: r.cachedTokens,
    cache_write_tokens: r.cacheWriteTokens ?? 0,
    reasoning_tokens: r.reasoningTokens ?? 0,
    total_tokens: r.totalTokens,
    estimated: r.estimated,
    priced: r.priced,
    cost_micros: r.costMicros,
    cost_usd: r.costMicros === null ? null : microsToUsd(r.costMicros),
    cache_hit: r.cacheHit,
    stream: r.stream,
    attempt_count: r.attemptCount,
    trace_id: r.traceId,
  };
}

/** Builds the WHERE clause of a list query ($1 is the tenant). Every value is bound, never inlined. */
function whereOf(sql: Sql, tenantId: string, q: RequestListQuery): { clause: string; bind: unknown[] } {
  const bind: unknown[] = [tenantId];
  const parts = ['tenant_id = $1'];
  const ts = (i: number) => (sql.dialect === 'postgres' ? `$${i}::timestamptz` : `$${i}`);
  const add = (fragment: (i: number) => string, value: unknown) => {
    bind.push(value);
    parts.push(fragment(bind.length));
  };
  if (q.status) add((i) => `status = $${i}`, q.status);
  if (q.model) add((i) => `model = $${i}`, q.model);
  if (q.key_id) add((i) => `key_id = $${i}`, q.key_id);
  if (q.team_id) add((i) => `team_id = $${i}`, q.team_id);
  if (q.provider) add((i) => `provider = $${i}`, q.provider);
  if (q.error_code) add((i) => `error_code = $${i}`, q.error_code);
  if (q.min_latency_ms !== undefined) add((i) => `latency_ms >= $${i}`, q.min_latency_ms);
  if (q.max_latency_ms !== undefined) add((i) => `latency_ms <= $${i}`, q.max_latency_ms);
  if (q.min_cost_micros !== undefined) add((i) => `cost_micros >= $${i}`, q.min_cost_micros);
  if (q.max_cost_micros !== undefined) add((i) => `cost_micros <= $${i}`, q.max_cost_micros);
  if (q.cache_hit !== undefined) add((i) => `cache_hit = $${i}`, q.cache_hit === 'true');
  if (q.from) add((i) => `created_at >= ${ts(i)}`, q.from);
  if (q.to) add((i) => `created_at < ${ts(i)}`, q.to);
  if (q.cursor) {
    const c = decodeRequestCursor(q.cursor);
    bind.push(c.createdAt, c.requestId);
    const a = bind.length - 1;
    parts.push(`(created_at < ${ts(a)} OR (created_at = ${ts(a)} AND request_id < $${a + 1}))`);
  }
  return { clause: parts.join(' AND '), bind };
}

/**
 * The request explorer's routes: a tenant's requests newest first with filters and keyset paging,
 * and one request with its attempts. Both read usage_records through its (tenant_id, created_at)
 * index (or the key / model ones); a request of another tenant is a 404, as one that does not exist.
 */
export function requestRoutes(
  router: PluginRouter,
  ctx: PluginContext<UsageConfig>,
  sql: Sql,
  tables: { records: string },
): void {
  const base = '/admin/v1/tenants/:tenantId/requests';

  router.get(
    base,
    async (c) => {
      const { params, query } = validated<RequestListQuery, { tenantId: string }>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      if (query.from && query.to && query.from >= query.to)
        throw errors.badRequest(
          `from (${query.from}) is not before to (${query.to}); swap them.`,
          'invalid_range',
          'from',
        );
      const limit = query.limit ?? DEFAULT_LIMIT;
      const w = whereOf(sql, params.tenantId, query);
      // One row more than the page says whether another page follows, without counting.
      const rows = await sql.rows(
        `SELECT * FROM ${tables.records} WHERE ${w.clause} ORDER BY created_at DESC, request_id DESC LIMIT ${limit + 1}`,
        w.bind,
      );
      const page = rows.slice(0, limit).map(rowFromDb);
      const last = page[page.length - 1];
      const hasMore = rows.length > limit;
      c.set('cache-control', 'no-store');
      // The page's key names in one batched, tenant-scoped lookup (usage records carry ids only).
      const names = await keyNames(
        ctx,
        params.tenantId,
        page.map((r) => r.keyId),
      );
      c.body = {
        object: 'list',
        data: page.map((r) => requestView(r, (r.keyId && names.get(r.keyId)) ?? null)),
        next_cursor: hasMore && last ? encodeRequestCursor(last.createdAt, last.requestId) : null,
        has_more: hasMore,
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary: "A tenant's requests, newest first, with filters and cursor paging (the request explorer)",
      schema: {
        params: requestParams.pick({ tenantId: true }),
        query: requestListQuery,
        responses: { 200: requestListView },
        tag: 'usage',
        operationId: 'listRequests',
      },
    },
  );

  router.get(
    `${base}/:requestId`,
    async (c) => {
      const { params } = validated<unknown, z.output<typeof requestParams>>(c);
      authorize(ctx, c, 'usage:read', params.tenantId);
      const rows = await sql.rows(`SELECT * FROM ${tables.records} WHERE request_id = $1 AND tenant_id = $2`, [
        params.requestId,
        params.tenantId,
      ]);
      if (!rows[0])
        throw errors.notFound(
          `No request ${params.requestId} in tenant ${params.tenantId}; its usage record may not be written yet (records are stored within seconds).`,
          'request_not_found',
        );
      const row = rowFromDb(rows[0]);
      const names = await keyNames(ctx, params.tenantId, [row.keyId]);
      c.set('cache-control', 'no-store');
      c.body = {
        object: 'request',
        ...requestView(row, (row.keyId && names.get(row.keyId)) ?? null),
        input_cost_micros: row.inputCostMicros,
        cached_cost_micros: row.cachedCostMicros,
        output_cost_micros: row.outputCostMicros,
        attempts: row.attempts.map((a) => ({
          deployment: a.deployment,
          provider: a.provider,
          model: a.model,
          outcome: a.outcome,
          status: a.status,
          code: a.code,
          next: a.next,
          latency_ms: a.latencyMs,
        })),
      };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'usage'],
      summary:
        'One request with its attempts (retries, fallbacks, breaker skips), usage, cost, gateway overhead and trace id',
      schema: { params: requestParams, responses: { 200: requestDetailView }, tag: 'usage', operationId: 'getRequest' },
    },
  );
}
