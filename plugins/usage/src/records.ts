import {
  MAX_RECORDED_ATTEMPTS,
  isStorableUsageTime,
  type AttemptRecord,
  type UsageRecord,
} from '@aihub/core/plugin-api';

/**
 * A record as it is stored: a UsageRecord, checked and clamped to the column sizes, with the request
 * start as an ISO instant. `pending` marks a write-ahead record (published before the upstream call).
 */
export interface UsageRow {
  requestId: string;
  createdAt: string;
  createdMs: number;
  tenantId: string | null;
  keyId: string | null;
  userId: string | null;
  teamId: string | null;
  /** The API version (AIHub-Version) the request was served at; null before versions were recorded. */
  apiVersion?: string | null;
  endpoint: string;
  model: string;
  resolvedModel: string | null;
  provider: string | null;
  deployment: string | null;
  experiment: string | null;
  variant: string | null;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  /** Prompt tokens written to the provider's cache (inside promptTokens); absent in rows from before they were recorded. */
  cacheWriteTokens?: number;
  /** Reasoning tokens (inside completionTokens). */
  reasoningTokens?: number;
  estimated: boolean;
  costMicros: number | null;
  inputCostMicros: number | null;
  cachedCostMicros: number | null;
  outputCostMicros: number | null;
  priced: boolean;
  latencyMs: number;
  ttftMs: number | null;
  status: 'success' | 'error' | 'cancelled';
  httpStatus: number;
  errorCode: string | null;
  cacheHit: boolean;
  stream: boolean;
  /** The gateway's own time in ms (fractional); null on records from before it was measured. */
  overheadMs: number | null;
  /** W3C trace id (32 lower-case hex digits) of a sampled request. */
  traceId: string | null;
  /** The recorded attempts (at most MAX_RECORDED_ATTEMPTS). */
  attempts: AttemptRecord[];
  /** All attempts and breaker skips, including any past the cap. */
  attemptCount: number;
}

/**
 * A parsed record. `clamped` names the fields whose value was beyond what its column holds and was
 * stored as the column's largest value instead (see MAX_INT, MAX_MICROS); absent when none was.
 */
export type ParsedRecord =
  | { kind: 'final'; row: UsageRow; clamped?: string[] }
  | { kind: 'pending'; row: UsageRow; clamped?: string[] }
  | { kind: 'invalid'; reason: string };

/**
 * The error code of rows made from a write-ahead record whose final record never came: the gateway
 * died (or lost the record) after it may have called the upstream. A late final record replaces them.
 */
export const INTERRUPTED_CODE = 'gateway_interrupted';

/** The largest value of an INTEGER column (token counts, latencies, HTTP status) on both databases. */
export const MAX_INT = 2_147_483_647;
/**
 * The largest cost of one record, in micros: 10^12 = $1,000,000 for a single call, which no real call
 * reaches. It is far below what the BIGINT columns hold on purpose: every sum of record costs (the
 * daily and invoice rollups, SUM() over records, the Redis spend counters) stays exact in a
 * JavaScript number (2^53 − 1) for 9,007 such records of one rollup row, and in range of a 64-bit
 * integer for 9.2 million; past that the rollups saturate (see ROLLUP_MAX) instead of overflowing.
 * At 2^53 − 1 (the former cap) 1,024 clamped records of one key, model and day overflowed the daily
 * row's BIGINT, and PostgreSQL then refused, and dead-lettered, every later record of that row.
 */
export const MAX_MICROS = 1_000_000_000_000;

function str(v: unknown, max: number): string | null {
  if (v === null || v === undefined || v === '') return null;
  const s = typeof v === 'string' ? v : String(v);
  return s.length > max ? s.slice(0, max) : s;
}

/**
 * A count for an INTEGER column: 0 when below zero or not a number; above MAX_INT (Infinity too: JSON.parse
 * reads 1e999 as Infinity) it is MAX_INT, as for any other figure past its column.
 */
function count(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!(n >= 0)) return 0;
  return n > MAX_INT ? MAX_INT : Math.round(n);
}

/**
 * Collects the fields of one record that were clamped to their column's maximum. A usage record is
 * billed whatever its figures (never dead-lettered because one is absurd): the consumer counts and
 * logs the clamped ones so a stored row is never silently different from what the gateway reported.
 */
class Clamps {
  fields: string[] | undefined;

  /** A count stored in an INTEGER column: count(), noting when it was cut to MAX_INT. */
  int(v: unknown, field: string): number {
    const n = typeof v === 'number' ? v : Number(v);
    // NaN and negatives bill nothing; Infinity is past the column like 1e20 (not 0, unmarked).
    if (!(n >= 0)) return 0;
    if (n > MAX_INT) {
      (this.fields ??= []).push(field);
      return MAX_INT;
    }
    return Math.round(n);
  }

  /** A cost in micros (BIGINT column), null when absent or not a number; cut to MAX_MICROS. */
  micros(v: unknown, field: string): number | null {
    if (v === null || v === undefined) return null;
    const n = typeof v === 'number' ? v : Number(v);
    // Infinity (1e999 in the JSON) is past the column and clamped below, not read as unpriced.
    if (Number.isNaN(n) || n === -Infinity) return null;
    if (n > MAX_MICROS) {
      (this.fields ??= []).push(field);
      return MAX_MICROS;
    }
    return Math.max(0, Math.round(n));
  }
}

const OUTCOMES = new Set<AttemptRecord['outcome']>(['success', 'error', 'timeout', 'breaker_open', 'cancelled']);
const TRACE_ID = /^[0-9a-f]{32}$/;

function ms(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  // Microsecond precision is all a stored millisecond figure needs.
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.round(n * 1000) / 1000, MAX_INT) : null;
}

/** The attempts as stored: each field coerced to its kind, the list cut to MAX_RECORDED_ATTEMPTS. */
function attemptsOf(v: unknown): AttemptRecord[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, MAX_RECORDED_ATTEMPTS).map((a: Partial<Record<keyof AttemptRecord, unknown>>) => {
    const x = a && typeof a === 'object' ? a : {};
    const status = x.status === null || x.status === undefined ? null : count(x.status);
    return {
      deployment: str(x.deployment, 128) ?? 'unknown',
      provider: str(x.provider, 64) ?? 'unknown',
      model: str(x.model, 200) ?? 'unknown',
      outcome: OUTCOMES.has(x.outcome as AttemptRecord['outcome']) ? (x.outcome as AttemptRecord['outcome']) : 'error',
      status,
      code: str(x.code, 64),
      next: x.next === 'retry' || x.next === 'fallback' ? x.next : null,
      latencyMs: ms(x.latencyMs) ?? 0,
    };
  });
}

/** Optional per-component cost the ai plugin may add (see README: requested contract extension). */
interface CostBreakdown {
  inputCostMicros?: number | null;
  cachedCostMicros?: number | null;
  outputCostMicros?: number | null;
}

/**
 * Checks one queue payload. Anything without a request id or a valid timestamp is invalid (kept as
 * a dead letter); every other field is coerced to what the columns hold, never rejected for it. A
 * token count or cost beyond its column is stored as the column's largest value, the row marked
 * `estimated` (its figure is not the upstream's), and the field named in `clamped`.
 */
export function parseRecord(payload: unknown): ParsedRecord {
  if (!payload || typeof payload !== 'object') return { kind: 'invalid', reason: 'payload is not an object' };
  const r = payload as Omit<Partial<UsageRecord>, 'status'> & CostBreakdown & { status?: string };
  const requestId = str(r.requestId, 128);
  if (!requestId) return { kind: 'invalid', reason: 'requestId is missing' };
  // One Date for both the instant and its ISO text (a write-ahead record carries epoch ms).
  const created =
    typeof r.timestamp === 'string' || typeof r.timestamp === 'number' ? new Date(r.timestamp) : undefined;
  const createdMs = created === undefined ? NaN : created.getTime();
  if (!Number.isFinite(createdMs))
    return { kind: 'invalid', reason: `timestamp ${JSON.stringify(r.timestamp)} is not a date` };
  const pending = r.status === 'pending';
  const status =
    r.status === 'error' || r.status === 'cancelled' || r.status === 'success'
      ? r.status
      : r.status === 'pending'
        ? 'success'
        : 'error';
  const clamps = new Clamps();
  const promptTokens = clamps.int(r.promptTokens, 'promptTokens');
  const completionTokens = clamps.int(r.completionTokens, 'completionTokens');
  const costMicros = clamps.micros(r.costMicros, 'costMicros');
  const inputCostMicros = clamps.micros(r.inputCostMicros, 'inputCostMicros');
  const cachedCostMicros = clamps.micros(r.cachedCostMicros, 'cachedCostMicros');
  const outputCostMicros = clamps.micros(r.outputCostMicros, 'outputCostMicros');
  const totalTokens = clamps.int(
    r.totalTokens === undefined ? promptTokens + completionTokens : r.totalTokens,
    'totalTokens',
  );
  // Clamps so far are billed figures: the row is no longer exactly what the upstream reported.
  const billedClamped = clamps.fields !== undefined;
  const attempts = attemptsOf(r.attempts);
  const row: UsageRow = {
    requestId,
    createdAt: created!.toISOString(),
    createdMs,
    tenantId: str(r.tenantId, 64),
    keyId: str(r.keyId, 128),
    userId: str(r.userId, 128),
    teamId: str(r.teamId, 128),
    apiVersion: str(r.apiVersion, 10),
    endpoint: str(r.endpoint, 32) ?? 'chat.completions',
    model: str(r.model, 200) ?? 'unknown',
    resolvedModel: str(r.resolvedModel, 200),
    provider: str(r.provider, 64),
    deployment: str(r.deployment, 128),
    experiment: str(r.experiment, 128),
    variant: str(r.variant, 128),
    promptTokens,
    completionTokens,
    // Bounded by prompt / completion tokens, which are bounded already.
    cachedTokens: Math.min(count(r.cachedTokens), promptTokens),
    totalTokens,
    cacheWriteTokens: Math.min(count(r.cacheWriteTokens), promptTokens),
    reasoningTokens: Math.min(count(r.reasoningTokens), completionTokens),
    // A write-ahead record's prompt is always an estimate (it leaves the flag out).
    estimated: r.estimated === true || pending || billedClamped,
    costMicros,
    inputCostMicros,
    cachedCostMicros,
    outputCostMicros,
    // A record without a cost is unpriced whatever it claims: it is never billed as zero silently.
    priced: r.priced !== false && costMicros !== null,
    latencyMs: clamps.int(r.latencyMs, 'latencyMs'),
    ttftMs: r.ttftMs === null || r.ttftMs === undefined ? null : clamps.int(r.ttftMs, 'ttftMs'),
    status,
    httpStatus: clamps.int(r.httpStatus, 'httpStatus'),
    errorCode: str(r.errorCode, 64),
    cacheHit: r.cacheHit === true,
    stream: r.stream === true,
    overheadMs: ms(r.overheadMs),
    traceId: typeof r.traceId === 'string' && TRACE_ID.test(r.traceId) ? r.traceId : null,
    attempts,
    attemptCount: Math.max(clamps.int(r.attemptCount, 'attemptCount'), attempts.length),
  };
  const kind = pending ? 'pending' : 'final';
  return clamps.fields === undefined ? { kind, row } : { kind, row, clamped: clamps.fields };
}

/** Years 1000–8999: instants both databases store whatever core's exact bounds are (see below). */
const SURELY_STORABLE_MIN_MS = Date.UTC(1000, 0, 1);
const SURELY_STORABLE_MAX_MS = Date.UTC(9000, 0, 1);

/**
 * True when the row's time can be stored. Checked on `createdMs`, which parseRecord computed already:
 * every real record's time is decided by two comparisons instead of parsing `createdAt` again
 * (Date.parse, ~0.2–0.6 µs a record); only a time near the edges asks core's isStorableUsageTime.
 */
export function hasStorableTime(row: Pick<UsageRow, 'createdMs' | 'createdAt'>): boolean {
  const ms = row.createdMs;
  return (ms >= SURELY_STORABLE_MIN_MS && ms < SURELY_STORABLE_MAX_MS) || isStorableUsageTime(row.createdAt);
}

/** The row billed for a write-ahead record whose request never finished (see INTERRUPTED_CODE). */
export function interruptedRow(pending: UsageRow): UsageRow {
  return {
    ...pending,
    status: 'error',
    errorCode: INTERRUPTED_CODE,
    httpStatus: 0,
    completionTokens: 0,
    totalTokens: pending.promptTokens,
    estimated: true,
    ttftMs: null,
  };
}

/**
 * A request refused before any AI call was prepared (see refusals.ts): an error with no provider, no
 * attempt, no tokens and nothing spent. It counts as a request (and an error) but is never billed, so
 * invoices leave it out.
 */
export function isRefusal(
  row: Pick<UsageRow, 'status' | 'provider' | 'attemptCount' | 'totalTokens' | 'costMicros' | 'cacheHit'>,
): boolean {
  return (
    row.status === 'error' &&
    row.provider === null &&
    row.attemptCount === 0 &&
    row.totalTokens === 0 &&
    row.costMicros === 0 &&
    !row.cacheHit
  );
}
