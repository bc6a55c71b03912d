import { sanitizeStorable } from '@aihub/core/plugin-api';
import type { UsageRow } from '../records';

/** A record stored with fields replaced: which request, and the JSON paths that were changed. */
export interface SanitizedRecord {
  requestId: string;
  paths: string[];
}

/**
 * Usage records are produced by the gateway, not typed by a client, so one the database cannot store
 * as is (a NUL or lone surrogate in a model name, key or user id the caller sent) is never refused:
 * the bad characters become U+FFFD and the row is billed like any other. `sanitized` lists what was
 * changed, which the consumer counts (`aihub_usage_records_sanitized_total`) and logs, so a stored
 * row is never silently different from its record. Rows that need nothing are returned as they are.
 */
export function storableRows(rows: UsageRow[]): { rows: UsageRow[]; sanitized: SanitizedRecord[] } {
  let sanitized: SanitizedRecord[] | undefined;
  let out: UsageRow[] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const { value, replaced } = sanitizeStorable(rows[i]);
    if (replaced.length === 0) continue;
    out ??= rows.slice();
    out[i] = value;
    (sanitized ??= []).push({ requestId: value.requestId, paths: replaced });
  }
  return { rows: out ?? rows, sanitized: sanitized ?? [] };
}
