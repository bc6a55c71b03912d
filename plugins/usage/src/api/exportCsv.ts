import { microsToUsd } from '../money';
import { bool, iso, num, type Sql } from '@aihub/core/plugin-api';
import { addDays } from '../time';
import { csvLine } from './csv';
import type { UsageFilter } from './UsageReader';

const REQUEST_COLUMNS = [
  'request_id',
  'timestamp',
  'key_id',
  'user_id',
  'team_id',
  'endpoint',
  'model',
  'resolved_model',
  'provider',
  'deployment',
  'experiment',
  'variant',
  'status',
  'http_status',
  'error_code',
  'stream',
  'cache_hit',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'total_tokens',
  'estimated',
  'priced',
  'cost_micros',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  // Added later: at the end, so consumers that read columns by position keep working.
  'cache_write_tokens',
  'reasoning_tokens',
];

const DAY_COLUMNS = [
  'day',
  'team_id',
  'key_id',
  'model',
  'provider',
  'requests',
  'success_requests',
  'error_requests',
  'cancelled_requests',
  'cache_hits',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'total_tokens',
  'unpriced_requests',
  'cost_micros',
  'cost_usd',
];

/**
 * Streams usage_records of a tenant as CSV, one database page at a time (keyset pagination on
 * (created_at, request_id)), so an export of millions of rows never sits in memory.
 */
export async function* exportRequests(
  sql: Sql,
  table: string,
  f: UsageFilter & { status?: string },
  pageSize: number,
): AsyncGenerator<string> {
  yield csvLine(REQUEST_COLUMNS);
  const ts = (i: number) => (sql.dialect === 'postgres' ? `$${i}::timestamptz` : `$${i}`);
  const start = `${f.from}T00:00:00.000Z`;
  const end = `${addDays(f.to, 1)}T00:00:00.000Z`;
  let cursor: { at: string; id: string } | undefined;
  for (;;) {
    const bind: unknown[] = [f.tenantId, start, end];
    const parts = ['tenant_id = $1', `created_at >= ${ts(2)}`, `created_at < ${ts(3)}`];
    const eq = (col: string, v: string | undefined) => {
      if (v === undefined) return;
      bind.push(v);
      parts.push(`${col} = $${bind.length}`);
    };
    eq('model', f.model);
    eq('provider', f.provider);
    eq('key_id', f.keyId);
    eq('team_id', f.teamId);
    eq('status', f.status);
    if (cursor) {
      bind.push(cursor.at, cursor.id);
      const a = bind.length - 1;
      parts.push(`(created_at > ${ts(a)} OR (created_at = ${ts(a)} AND request_id > $${a + 1}))`);
    }
    const rows = await sql.rows(
      `SELECT * FROM ${table} WHERE ${parts.join(' AND ')} ORDER BY created_at, request_id LIMIT ${pageSize}`,
      bind,
    );
    let chunk = '';
    for (const r of rows) {
      const cost = r.cost_micros === null || r.cost_micros === undefined ? null : num(r.cost_micros);
      chunk += csvLine([
        r.request_id,
        iso(r.created_at),
        r.key_id,
        r.user_id,
        r.team_id,
        r.endpoint,
        r.model,
        r.resolved_model,
        r.provider,
        r.deployment,
        r.experiment,
        r.variant,
        r.status,
        num(r.http_status),
        r.error_code,
        bool(r.stream),
        bool(r.cache_hit),
        num(r.prompt_tokens),
        num(r.completion_tokens),
        num(r.cached_tokens),
        num(r.total_tokens),
        bool(r.estimated),
        bool(r.priced),
        cost,
        cost === null ? null : microsToUsd(cost),
        num(r.latency_ms),
        r.ttft_ms === null ? null : num(r.ttft_ms),
        num(r.cache_write_tokens),
        num(r.reasoning_tokens),
      ]);
    }
    if (chunk) yield chunk;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1];
    cursor = { at: iso(last.created_at), id: String(last.request_id) };
  }
}

/** Streams the daily rollups of a tenant as CSV (one line per day × team × key × model × provider). */
export async function* exportDays(sql: Sql, table: string, f: UsageFilter, pageSize: number): AsyncGenerator<string> {
  yield csvLine(DAY_COLUMNS);
  let offset = 0;
  for (;;) {
    const bind: unknown[] = [f.tenantId, f.from, f.to];
    const parts = ['tenant_id = $1', 'day >= $2', 'day <= $3'];
    for (const [col, v] of [
      ['model', f.model],
      ['provider', f.provider],
      ['key_id', f.keyId],
      ['team_id', f.teamId],
    ] as const) {
      if (v === undefined) continue;
      bind.push(v);
      parts.push(`${col} = $${bind.length}`);
    }
    const rows = await sql.rows(
      `SELECT * FROM ${table} WHERE ${parts.join(' AND ')} ORDER BY day, team_id, key_id, model, provider LIMIT ${pageSize} OFFSET ${offset}`,
      bind,
    );
    let chunk = '';
    for (const r of rows) {
      const cost = num(r.cost_micros);
      chunk += csvLine([
        r.day,
        r.team_id || null,
        r.key_id || null,
        r.model,
        r.provider || null,
        num(r.requests),
        num(r.success_requests),
        num(r.error_requests),
        num(r.cancelled_requests),
        num(r.cache_hits),
        num(r.prompt_tokens),
        num(r.completion_tokens),
        num(r.cached_tokens),
        num(r.total_tokens),
        num(r.unpriced_requests),
        cost,
        microsToUsd(cost),
      ]);
    }
    if (chunk) yield chunk;
    if (rows.length < pageSize) return;
    offset += pageSize;
  }
}
