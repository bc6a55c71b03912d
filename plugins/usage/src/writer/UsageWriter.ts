import type { Transaction } from 'sequelize';
import { INTERRUPTED_CODE, type UsageRow } from '../records';
import { bool, bulkTuples, iso, num, numOrNull, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import { ANSWERED_DIMENSIONS, ANSWERED_MEASURES, AnsweredAccumulator } from './answered';
import { HistogramAccumulator } from './histogram';
import { CubeAccumulator, DIMENSIONS, MEASURES } from './rollups';
import { saturatingSet } from './saturate';
import { storableRows, type SanitizedRecord } from './sanitize';

/**
 * Columns of usage_records in insert order, and their PostgreSQL types (the rows go as one JSON
 * parameter, see bulkTuples); recordValues fills them in this order.
 */
const RECORD_BULK: readonly BulkColumn[] = [
  ['request_id', 'text'],
  ['created_at', 'timestamptz'],
  ['recorded_at', 'timestamptz'],
  ['tenant_id', 'text'],
  ['key_id', 'text'],
  ['user_id', 'text'],
  ['team_id', 'text'],
  ['api_version', 'text'],
  ['endpoint', 'text'],
  ['model', 'text'],
  ['resolved_model', 'text'],
  ['provider', 'text'],
  ['deployment', 'text'],
  ['experiment', 'text'],
  ['variant', 'text'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['cached_tokens', 'integer'],
  ['total_tokens', 'integer'],
  ['estimated', 'boolean'],
  ['cost_micros', 'bigint'],
  ['input_cost_micros', 'bigint'],
  ['cached_cost_micros', 'bigint'],
  ['output_cost_micros', 'bigint'],
  ['priced', 'boolean'],
  ['latency_ms', 'integer'],
  ['ttft_ms', 'integer'],
  ['status', 'text'],
  ['http_status', 'integer'],
  ['error_code', 'text'],
  ['cache_hit', 'boolean'],
  ['stream', 'boolean'],
  ['overhead_ms', 'double precision'],
  ['trace_id', 'text'],
  ['attempts', 'text'],
  ['attempt_count', 'integer'],
  ['cache_write_tokens', 'integer'],
  ['reasoning_tokens', 'integer'],
];
const RECORD_COLUMNS = RECORD_BULK.map(([n]) => n);

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

/** Rows per INSERT statement (one JSON parameter each, so no bind-parameter limit applies). */
const CHUNK = 400;

/** Request ids as one JSON parameter: the body of an `IN (…)`. */
const ID_COLUMN: readonly BulkColumn[] = [['request_id', 'text']];
const CUBE_BULK: readonly BulkColumn[] = [
  ...DIMENSIONS.map((d): BulkColumn => [d, 'text']),
  ...MEASURES.map((m): BulkColumn => [m, 'bigint']),
];
const ANSWERED_BULK: readonly BulkColumn[] = [
  ...ANSWERED_DIMENSIONS.map((d): BulkColumn => [d, 'text']),
  ...ANSWERED_MEASURES.map((m): BulkColumn => [m, 'bigint']),
];
const HISTOGRAM_BULK: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['metric', 'text'],
  ['day', 'text'],
  ['bucket', 'bigint'],
  ['requests', 'bigint'],
];
const PENDING_BULK: readonly BulkColumn[] = [
  ['request_id', 'text'],
  ['created_at', 'timestamptz'],
  ['payload', 'text'],
];

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
        const source = bulkTuples(
          this.sql.dialect,
          RECORD_BULK,
          chunk.map((r) => recordValues(r, recordedAt)),
          bind,
        );
        const rows = await this.sql.rows<{ request_id: string }>(
          `INSERT INTO ${this.tables.records} (${RECORD_COLUMNS.join(', ')}) ${source}
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
          const bind: unknown[] = [];
          const ids = this.ids(chunk, bind);
          await this.sql.rows(
            `DELETE FROM ${this.tables.pending} WHERE request_id IN (${ids}) RETURNING request_id`,
            bind,
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
    // Saturating (see saturate.ts): an overflow would refuse, and dead-letter, every later record of the row.
    const set = saturatingSet(table, MEASURES);
    for (const chunk of chunks(cube.sorted(), 300)) {
      const bind: unknown[] = [];
      const source = bulkTuples(
        this.sql.dialect,
        CUBE_BULK,
        chunk.map((d) => [
          d.key.day,
          d.key.tenantId,
          d.key.teamId,
          d.key.keyId,
          d.key.model,
          d.key.provider,
          ...d.values,
        ]),
        bind,
      );
      await this.sql.rows(
        `INSERT INTO ${table} (${cols.join(', ')}) ${source}
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
    const set = saturatingSet(table, ANSWERED_MEASURES);
    for (const chunk of chunks(answered.sorted(), 300)) {
      const bind: unknown[] = [];
      const source = bulkTuples(
        this.sql.dialect,
        ANSWERED_BULK,
        chunk.map((d) => [d.key.tenantId, d.key.day, d.key.model, d.key.answeredBy, d.key.provider, ...d.values]),
        bind,
      );
      await this.sql.rows(
        `INSERT INTO ${table} (${cols.join(', ')}) ${source}
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
      const source = bulkTuples(
        this.sql.dialect,
        HISTOGRAM_BULK,
        chunk.map((e) => [e.tenantId, e.metric, e.day, e.bucket, e.n]),
        bind,
      );
      await this.sql.rows(
        `INSERT INTO ${table} (tenant_id, metric, day, bucket, requests) ${source}
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
      const source = bulkTuples(
        this.sql.dialect,
        PENDING_BULK,
        chunk.map((p) => [p.requestId, p.createdAt, JSON.stringify(p)]),
        bind,
      );
      const rows = await this.sql.rows(
        `INSERT INTO ${this.tables.pending} (request_id, created_at, payload) ${source}
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
        bind,
        t,
      );
      stored += rows.length;
      const idBind: unknown[] = [];
      const ids = this.ids(chunk, idBind);
      const done = await this.sql.rows(
        `DELETE FROM ${this.tables.pending} WHERE request_id IN (SELECT request_id FROM ${this.tables.records} WHERE request_id IN (${ids})) RETURNING request_id`,
        idBind,
        t,
      );
      stored -= done.length;
    }
    return Math.max(0, stored);
  }

  /** The request ids of `rows` as the body of an `IN (…)`, bound as one parameter. */
  private ids(rows: readonly UsageRow[], bind: unknown[]): string {
    return bulkTuples(
      this.sql.dialect,
      ID_COLUMN,
      rows.map((r) => [r.requestId]),
      bind,
    );
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
