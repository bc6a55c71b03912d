import type { Transaction } from 'sequelize';
import { INTERRUPTED_CODE, type UsageRow } from '../records';
import { bool, iso, num, numOrNull, valuesList, type Sql } from '@aihub/core/plugin-api';
import { ANSWERED_DIMENSIONS, ANSWERED_MEASURES, AnsweredAccumulator } from './answered';
import { HistogramAccumulator } from './histogram';
import { CubeAccumulator, DIMENSIONS, MEASURES } from './rollups';
import { storableRows, type SanitizedRecord } from './sanitize';

/** Columns of usage_records in insert order, and how a row fills them. */
const RECORD_COLUMNS = [
  'request_id',
  'created_at',
  'recorded_at',
  'tenant_id',
  'key_id',
  'user_id',
  'team_id',
  'api_version',
  'endpoint',
  'model',
  'resolved_model',
  'provider',
  'deployment',
  'experiment',
  'variant',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'total_tokens',
  'estimated',
  'cost_micros',
  'input_cost_micros',
  'cached_cost_micros',
  'output_cost_micros',
  'priced',
  'latency_ms',
  'ttft_ms',
  'status',
  'http_status',
  'error_code',
  'cache_hit',
  'stream',
  'overhead_ms',
  'trace_id',
  'attempts',
  'attempt_count',
  'cache_write_tokens',
  'reasoning_tokens',
] as const;

function recordValues(r: UsageRow, recordedAt: string): unknown[] {
  return [
    r.requestId,
    r.createdAt,
    recordedAt,
    r.tenantId,
    r.keyId,
    r.userId,
    r.teamId,
    r.apiVersion ?? null,
    r.endpoint,
    r.model,
    r.resolvedModel,
    r.provider,
    r.deployment,
    r.experiment,
    r.variant,
    r.promptTokens,
    r.completionTokens,
    r.cachedTokens,
    r.totalTokens,
    r.estimated,
    r.costMicros,
    r.inputCostMicros,
    r.cachedCostMicros,
    r.outputCostMicros,
    r.priced,
    r.latencyMs,
    r.ttftMs,
    r.status,
    r.httpStatus,
    r.errorCode,
    r.cacheHit,
    r.stream, // Parked write-ahead rows from before these fields existed lack them.
    r.overheadMs ?? null,
    r.traceId ?? null,
    r.attempts?.length ? JSON.stringify(r.attempts) : null,
    r.attemptCount ?? 0,
    r.cacheWriteTokens ?? 0,
    r.reasoningTokens ?? 0,
  ];
}

/** A row as read back from usage_records. */
export function rowFromDb(d: Record<string, unknown>): UsageRow {
  const createdAt = iso(d.created_at);
  return {
    requestId: String(d.request_id),
    createdAt,
    createdMs: Date.parse(createdAt),
    tenantId: (d.tenant_id as string | null) ?? null,
    keyId: (d.key_id as string | null) ?? null,
    userId: (d.user_id as string | null) ?? null,
    teamId: (d.team_id as string | null) ?? null,
    apiVersion: (d.api_version as string | null) ?? null,
    endpoint: String(d.endpoint),
    model: String(d.model),
    resolvedModel: (d.resolved_model as string | null) ?? null,
    provider: (d.provider as string | null) ?? null,
    deployment: (d.deployment as string | null) ?? null,
    experiment: (d.experiment as string | null) ?? null,
    variant: (d.variant as string | null) ?? null,
    promptTokens: num(d.prompt_tokens),
    completionTokens: num(d.completion_tokens),
    cachedTokens: num(d.cached_tokens),
    totalTokens: num(d.total_tokens),
    cacheWriteTokens: num(d.cache_write_tokens),
    reasoningTokens: num(d.reasoning_tokens),
    estimated: bool(d.estimated),
    costMicros: numOrNull(d.cost_micros),
    inputCostMicros: numOrNull(d.input_cost_micros),
    cachedCostMicros: numOrNull(d.cached_cost_micros),
    outputCostMicros: numOrNull(d.output_cost_micros),
    priced: bool(d.priced),
    latencyMs: num(d.latency_ms),
    ttftMs: numOrNull(d.ttft_ms),
    status: String(d.status) as UsageRow['status'],
    httpStatus: num(d.http_status),
    errorCode: (d.error_code as string | null) ?? null,
    cacheHit: bool(d.cache_hit),
    stream: bool(d.stream),
    overheadMs: d.overhead_ms === null || d.overhead_ms === undefined ? null : Number(d.overhead_ms),
    traceId: (d.trace_id as string | null) ?? null,
    attempts: typeof d.attempts === 'string' && d.attempts ? (JSON.parse(d.attempts) as UsageRow['attempts']) : [],
    attemptCount: num(d.attempt_count),
  };
}

/** What one batch changed; spend deltas feed the budget counters after the commit. */
export interface WriteResult {
  /** Rows stored for the first time. */
  inserted: UsageRow[];
  /** Interrupted rows replaced by their late final record: [old, new]. */
  replaced: [UsageRow, UsageRow][];
  /** Final records already stored (redelivery, or published twice). */
  duplicates: number;
  /** Write-ahead records parked until their final record comes. */
  pendingStored: number;
  /** Records stored with characters the database refuses replaced (see storableRows). */
  sanitized: SanitizedRecord[];
}

/** Rows per INSERT statement: 35 columns × 400 stays far below both drivers' bind-parameter limits. */
const CHUNK = 400;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Writes usage in one transaction per batch, idempotently: records are inserted with ON CONFLICT DO
 * NOTHING on the request id, and only the rows that were actually inserted are added to the daily
 * rollups — so a redelivered batch changes nothing and rollups always equal SUM over usage_records.
 */
export class UsageWriter {
  constructor(
    private readonly sql: Sql,
    private readonly tables: { records: string; daily: string; pending: string; latency: string; answered: string },
  ) {}

  /**
   * @param finalRecords  final records (already de-duplicated by request id within the batch)
   * @param pendingRecords write-ahead records whose final is not in this batch
   */
  async write(finalRecords: UsageRow[], pendingRecords: UsageRow[]): Promise<WriteResult> {
    // Never lose a record over a character: replace what the database refuses, and say so.
    const { rows: finals, sanitized } = storableRows(finalRecords);
    const { rows: pendings, sanitized: sanitizedPending } = storableRows(pendingRecords);
    sanitized.push(...sanitizedPending);
    const sortedFinals = [...finals].sort((a, b) =>
      a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
    );
    return this.sql.transaction(async (t) => {
      const recordedAt = new Date().toISOString();
      const insertedIds = new Set<string>();
      for (const chunk of chunks(sortedFinals, CHUNK)) {
        const bind: unknown[] = [];
        for (const r of chunk) bind.push(...recordValues(r, recordedAt));
        const rows = await this.sql.rows<{ request_id: string }>(
          `INSERT INTO ${this.tables.records} (${RECORD_COLUMNS.join(', ')}) VALUES ${valuesList(chunk.length, RECORD_COLUMNS.length)}
           ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
          bind,
          t,
        );
        for (const row of rows) insertedIds.add(row.request_id);
      }
      const inserted = sortedFinals.filter((r) => insertedIds.has(r.requestId));
      const conflicts = sortedFinals.filter((r) => !insertedIds.has(r.requestId));
      const replaced = conflicts.length ? await this.replaceInterrupted(conflicts, recordedAt, t) : [];

      const cube = new CubeAccumulator();
      const histogram = new HistogramAccumulator();
      const answered = new AnsweredAccumulator();
      for (const r of inserted) {
        cube.add(r);
        histogram.add(r);
        answered.add(r);
      }
      for (const [oldRow, newRow] of replaced) {
        cube.add(oldRow, -1);
        cube.add(newRow, 1);
        histogram.add(oldRow, -1);
        histogram.add(newRow, 1);
        answered.add(oldRow, -1);
        answered.add(newRow, 1);
      }
      await this.applyRollups(cube, t);
      await this.applyHistogram(histogram, t);
      await this.applyAnswered(answered, t);

      const pendingStored = await this.parkPending(pendings, t);
      if (sortedFinals.length) {
        // The final record came: its write-ahead record is no longer needed.
        for (const chunk of chunks(sortedFinals, 1000)) {
          await this.sql.rows(
            `DELETE FROM ${this.tables.pending} WHERE request_id IN (${chunk.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING request_id`,
            chunk.map((r) => r.requestId),
            t,
          );
        }
      }
      return { inserted, replaced, duplicates: conflicts.length - replaced.length, pendingStored, sanitized };
    });
  }

  /** A late final record replaces the provisional row billed for its interrupted request. */
  private async replaceInterrupted(
    conflicts: UsageRow[],
    recordedAt: string,
    t: Transaction,
  ): Promise<[UsageRow, UsageRow][]> {
    const out: [UsageRow, UsageRow][] = [];
    // An interrupted row never replaces another (two sweepers raced): only a real final record does.
    const candidates = conflicts.filter((r) => r.errorCode !== INTERRUPTED_CODE);
    const byId = new Map(candidates.map((r) => [r.requestId, r]));
    const lock = this.sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
    for (const chunk of chunks(candidates, 1000)) {
      const existing = await this.sql.rows(
        `SELECT * FROM ${this.tables.records} WHERE request_id IN (${chunk.map((_, i) => `$${i + 2}`).join(', ')}) AND error_code = $1${lock}`,
        [INTERRUPTED_CODE, ...chunk.map((r) => r.requestId)],
        t,
      );
      for (const e of existing) {
        const oldRow = rowFromDb(e);
        const newRow = byId.get(oldRow.requestId)!;
        const cols = RECORD_COLUMNS.filter((c) => c !== 'request_id');
        const values = recordValues(newRow, recordedAt).slice(1);
        await this.sql.rows(
          `UPDATE ${this.tables.records} SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE request_id = $1 RETURNING request_id`,
          [newRow.requestId, ...values],
          t,
        );
        out.push([oldRow, newRow]);
      }
    }
    return out;
  }

  private async applyRollups(cube: CubeAccumulator, t: Transaction): Promise<void> {
    if (!cube.size) return;
    const cols = [...DIMENSIONS, ...MEASURES];
    const table = this.tables.daily;
    const set = MEASURES.map((m) => `${m} = ${table}.${m} + excluded.${m}`).join(', ');
    for (const chunk of chunks(cube.sorted(), 300)) {
      const bind: unknown[] = [];
      for (const d of chunk)
        bind.push(d.key.day, d.key.tenantId, d.key.teamId, d.key.keyId, d.key.model, d.key.provider, ...d.values);
      await this.sql.rows(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${valuesList(chunk.length, cols.length)}
         ON CONFLICT (${DIMENSIONS.join(', ')}) DO UPDATE SET ${set} RETURNING day`,
        bind,
        t,
      );
    }
  }

  /** Adds the batch to the invoice rollup by answering model (same transaction as the records). */
  private async applyAnswered(answered: AnsweredAccumulator, t: Transaction): Promise<void> {
    if (!answered.size) return;
    const cols = [...ANSWERED_DIMENSIONS, ...ANSWERED_MEASURES];
    const table = this.tables.answered;
    const set = ANSWERED_MEASURES.map((m) => `${m} = ${table}.${m} + excluded.${m}`).join(', ');
    for (const chunk of chunks(answered.sorted(), 300)) {
      const bind: unknown[] = [];
      for (const d of chunk)
        bind.push(d.key.tenantId, d.key.day, d.key.model, d.key.answeredBy, d.key.provider, ...d.values);
      await this.sql.rows(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${valuesList(chunk.length, cols.length)}
         ON CONFLICT (${ANSWERED_DIMENSIONS.join(', ')}) DO UPDATE SET ${set} RETURNING day`,
        bind,
        t,
      );
    }
  }

  /** Adds the batch's latency and overhead counts to the daily histograms (same transaction as the records). */
  private async applyHistogram(histogram: HistogramAccumulator, t: Transaction): Promise<void> {
    const entries = histogram.entries();
    const table = this.tables.latency;
    for (const chunk of chunks(entries, 500)) {
      const bind: unknown[] = [];
      for (const e of chunk) bind.push(e.tenantId, e.metric, e.day, e.bucket, e.n);
      await this.sql.rows(
        `INSERT INTO ${table} (tenant_id, metric, day, bucket, requests) VALUES ${valuesList(chunk.length, 5)}
         ON CONFLICT (tenant_id, metric, day, bucket) DO UPDATE SET requests = ${table}.requests + excluded.requests RETURNING day`,
        bind,
        t,
      );
    }
  }

  /**
   * Parks write-ahead records. One whose final record is already stored (it was consumed first, by
   * another consumer) is removed again at once, so only requests still in flight stay parked.
   */
  private async parkPending(pendings: UsageRow[], t: Transaction): Promise<number> {
    if (!pendings.length) return 0;
    let stored = 0;
    for (const chunk of chunks(pendings, 300)) {
      const bind: unknown[] = [];
      for (const p of chunk) bind.push(p.requestId, p.createdAt, JSON.stringify(p));
      const rows = await this.sql.rows(
        `INSERT INTO ${this.tables.pending} (request_id, created_at, payload) VALUES ${valuesList(chunk.length, 3)}
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
        bind,
        t,
      );
      stored += rows.length;
      const ids = chunk.map((p) => p.requestId);
      const done = await this.sql.rows(
        `DELETE FROM ${this.tables.pending} WHERE request_id IN (SELECT request_id FROM ${this.tables.records} WHERE request_id IN (${ids.map((_, i) => `$${i + 1}`).join(', ')})) RETURNING request_id`,
        ids,
        t,
      );
      stored -= done.length;
    }
    return Math.max(0, stored);
  }

  /** Write-ahead records older than `cutoffIso` (their request can no longer be running). */
  async expiredPending(cutoffIso: string, limit: number): Promise<UsageRow[]> {
    const param = this.sql.dialect === 'postgres' ? '$1::timestamptz' : '$1';
    const rows = await this.sql.rows<{ payload: string }>(
      `SELECT payload FROM ${this.tables.pending} WHERE created_at < ${param} ORDER BY created_at LIMIT ${Math.floor(limit)}`,
      [cutoffIso],
    );
    return rows.map((r) => JSON.parse(r.payload) as UsageRow);
  }

  async countPending(): Promise<number> {
    const rows = await this.sql.rows<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${this.tables.pending}`);
    return num(rows[0]?.n);
  }
}
