import { iso, num, type Sql } from '@aihub/core/plugin-api';
import { at, TS } from './dialect';
import type { Filters } from './Filters';
import { BehaviorErrors } from '../errors';

export interface ScannedEvent {
  distinctId: string;
  ts: number;
  event: string | null;
  type: string;
}

const PAGE = 10_000;

/**
 * Reads matching events ordered by (distinct_id, timestamp, id), page by page with a keyset cursor
 * (index tenant_id, distinct_id, timestamp), calling `onUser` once per distinct id with its events in
 * time order. Stops with 422 past `maxEvents`, so one query cannot exhaust the gateway.
 */
export async function scanByUser(
  sql: Sql,
  table: string,
  filters: Filters,
  maxEvents: number,
  onUser: (distinctId: string, events: ScannedEvent[]) => void,
): Promise<number> {
  let cursor: { d: string; t: string; id: number } | undefined;
  let current: string | undefined;
  let buffer: ScannedEvent[] = [];
  let total = 0;
  for (;;) {
    const bind = [...filters.bind];
    let where = filters.where;
    if (cursor) {
      bind.push(cursor.d, cursor.t, cursor.id);
      const n = bind.length;
      where += ` AND (distinct_id, ${TS}, id) > ($${n - 2}, ${at(sql.dialect, n - 1)}, $${n})`;
    }
    const rows = await sql.rows<Record<string, unknown>>(
      `SELECT id, distinct_id, ${TS} AS ts, event, type FROM ${table} WHERE ${where} ORDER BY distinct_id, ${TS}, id LIMIT ${PAGE}`,
      bind,
    );
    for (const r of rows) {
      const d = String(r.distinct_id);
      if (d !== current) {
        if (current !== undefined) onUser(current, buffer);
        current = d;
        buffer = [];
      }
      buffer.push({
        distinctId: d,
        ts: Date.parse(iso(r.ts)),
        event: (r.event as string | null) ?? null,
        type: String(r.type),
      });
    }
    total += rows.length;
    if (total > maxEvents) {
      throw BehaviorErrors.create(
        'query_too_large',
        `This query reads more than ${maxEvents} events; narrow the time range or the filters.`,
      );
    }
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1];
    cursor = { d: String(last.distinct_id), t: iso(last.ts), id: num(last.id) };
  }
  if (current !== undefined) onUser(current, buffer);
  return total;
}
