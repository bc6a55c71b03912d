import { randomUUID } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Counter } from 'prom-client';
import type { Database } from '../database/Database';
import type { PluginMeter } from '../../kernel/types';
import type { EventQueue } from './EventQueue';
import { isDataError } from './isolatePoison';
import { sanitizeStorable, sanitizeText } from './storable';

const TABLE = 'aihub_dead_letters';
const MAX_ERROR_CHARS = 2000;
const ADD_CHUNK = 500;

/** A message to set aside. `payload` is the message's payload as the consumer received it. */
export interface DeadLetterInput {
  topic: string;
  group: string;
  messageId?: string | null;
  tenantId?: string | null;
  /** Stable, low-cardinality code (a metric label): see {@link deadLetterReason}. */
  reason: string;
  /** The error or explanation, for the operator. */
  error: string;
  payload: unknown;
}

/** A stored dead letter. */
export interface DeadLetter {
  id: string;
  topic: string;
  group: string;
  messageId: string | null;
  tenantId: string | null;
  reason: string;
  error: string;
  payload: unknown;
  createdAt: string;
  replayedAt: string | null;
  replays: number;
}

export interface DeadLetterQuery {
  topic: string;
  tenantId?: string;
  /** Also list dead letters already replayed (default false). */
  includeReplayed?: boolean;
  limit?: number;
  /** Only entries created before this ISO instant (pagination: pass the last entry's createdAt). */
  before?: string;
}

/**
 * The reason code of a refused write: `invalid_text` (NUL or bad Unicode), `out_of_range` (a number),
 * `too_long` (a value or index row too large), `constraint` (NOT NULL, CHECK, foreign key),
 * `invalid_value` (other data exceptions), `write_failed` (anything else).
 */
export function deadLetterReason(err: unknown): string {
  const e = (err ?? {}) as { parent?: { code?: unknown }; original?: { code?: unknown }; code?: unknown };
  const code = String(e.parent?.code ?? e.original?.code ?? e.code ?? '');
  if (code === '22021' || code === '22P05' || code === '22P02') return 'invalid_text';
  if (code === '22003' || code === 'SQLITE_RANGE' || code === 'SQLITE_MISMATCH') return 'out_of_range';
  if (code === '22001' || code === '54000' || code === 'SQLITE_TOOBIG') return 'too_long';
  if (code.startsWith('23') || code === 'SQLITE_CONSTRAINT') return 'constraint';
  if (isDataError(err)) return 'invalid_value';
  return 'write_failed';
}

/** The dead-letter counter both consumers share: `aihub_queue_dead_letters_total{stream,reason}`. */
export function deadLetterCounter(meter: PluginMeter): Counter<'stream' | 'reason'> {
  return meter.counter(
    'queue_dead_letters_total',
    'Queue messages set aside as dead letters because the database refused them, by stream (topic) and reason',
    ['stream', 'reason'] as const,
  );
}

/** Cut to the column's size, then made storable (cutting may split a surrogate pair). */
function clip(text: string, max: number): string {
  return sanitizeText(text.slice(0, max));
}

function encode(payload: unknown): string {
  try {
    // JSON.stringify escapes NUL and lone surrogates (\u0000, \ud800): the text is storable as is and
    // parses back to the original payload, which is what a replay publishes.
    const text = JSON.stringify(payload);
    if (typeof text === 'string') return text;
  } catch {
    // A BigInt or a cycle: keep what can be kept.
  }
  return JSON.stringify(sanitizeText(String(payload)));
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Row = Record<string, unknown>;

/**
 * Durable dead letters of the queue consumers, in the core table `aihub_dead_letters` (created by
 * coreQueueMigrations): the reason, the tenant and the original payload of every message the
 * database refused on its own. Operators list them (`GET /admin/v1/queues/{topic}/dead-letters`)
 * and replay them once the cause is fixed; a replay publishes the payload again on its topic.
 */
export class DeadLetterStore {
  constructor(
    private readonly db: Database,
    private readonly counter?: Counter<'stream' | 'reason'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the entries (one statement per 500), then counts them. Throws when the database refuses (the caller keeps the batch unacked). */
  async add(entries: DeadLetterInput[]): Promise<string[]> {
    if (entries.length === 0) return [];
    // 9 bind parameters a row: 500 rows stay far below PostgreSQL's 65 535 and SQLite's 32 766.
    // Several statements share a transaction, so a retried add() never stores a chunk twice.
    const insertAll = async (transaction?: Transaction) => {
      const ids: string[] = [];
      for (let start = 0; start < entries.length; start += ADD_CHUNK)
        ids.push(...(await this.insert(entries.slice(start, start + ADD_CHUNK), transaction)));
      return ids;
    };
    const ids = entries.length > ADD_CHUNK ? await this.db.transaction(insertAll) : await insertAll();
    for (const e of entries) this.counter?.inc({ stream: e.topic, reason: e.reason });
    return ids;
  }

  private async insert(entries: DeadLetterInput[], transaction?: Transaction): Promise<string[]> {
    const created = this.now();
    const bind: unknown[] = [];
    const rows: string[] = [];
    const ids: string[] = [];
    for (const e of entries) {
      const id = randomUUID();
      ids.push(id);
      const at = bind.length;
      rows.push(`(${Array.from({ length: 9 }, (_, i) => `$${at + i + 1}`).join(', ')})`);
      bind.push(
        id,
        clip(e.topic, 200),
        clip(e.group, 200),
        e.messageId == null ? null : clip(String(e.messageId), 200),
        e.tenantId == null ? null : clip(e.tenantId, 200),
        clip(e.reason, 64),
        clip(e.error, MAX_ERROR_CHARS),
        encode(e.payload),
        created,
      );
    }
    await this.db.sequelize.query(
      `INSERT INTO ${TABLE} (id, topic, group_name, message_id, tenant_id, reason, error, payload, created_at) VALUES ${rows.join(', ')}`,
      { bind, transaction },
    );
    return ids;
  }

  /** Newest first. */
  async list(query: DeadLetterQuery): Promise<DeadLetter[]> {
    const where = ['topic = $1'];
    const bind: unknown[] = [query.topic];
    if (query.tenantId !== undefined) {
      bind.push(query.tenantId);
      where.push(`tenant_id = $${bind.length}`);
    }
    if (!query.includeReplayed) where.push('replayed_at IS NULL');
    if (query.before !== undefined) {
      bind.push(Date.parse(query.before));
      where.push(`created_at < $${bind.length}`);
    }
    const limit = Math.min(Math.max(Math.floor(query.limit ?? 50), 1), 500);
    const rows = await this.db.sequelize.query<Row>(
      `SELECT * FROM ${TABLE} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT ${limit}`,
      { bind, type: QueryTypes.SELECT },
    );
    return rows.map(toDeadLetter);
  }

  async get(topic: string, id: string): Promise<DeadLetter | undefined> {
    const rows = await this.db.sequelize.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1 AND topic = $2`, {
      bind: [id, topic],
      type: QueryTypes.SELECT,
    });
    return rows[0] ? toDeadLetter(rows[0]) : undefined;
  }

  /**
   * Publishes the dead letter's payload again on its topic (durably) and marks it replayed. With
   * `sanitize`, NUL, lone surrogates and non-finite numbers are replaced first (U+FFFD, null), for
   * a payload that would be refused again as it is. Undefined when there is no such dead letter.
   */
  async replay(
    queue: EventQueue,
    topic: string,
    id: string,
    options: { sanitize?: boolean } = {},
  ): Promise<{ deadLetter: DeadLetter; messageId: string; replaced: string[] } | undefined> {
    const found = await this.get(topic, id);
    if (!found) return undefined;
    const { value, replaced } = options.sanitize
      ? sanitizeStorable(found.payload)
      : { value: found.payload, replaced: [] };
    const [messageId] = await queue.publishNow(found.topic, [value]);
    const at = this.now();
    await this.db.sequelize.query(`UPDATE ${TABLE} SET replayed_at = $1, replays = replays + 1 WHERE id = $2`, {
      bind: [at, id],
    });
    return {
      deadLetter: { ...found, replayedAt: new Date(at).toISOString(), replays: found.replays + 1 },
      messageId,
      replaced,
    };
  }
}

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: String(r.id),
    topic: String(r.topic),
    group: String(r.group_name),
    messageId: r.message_id == null ? null : String(r.message_id),
    tenantId: r.tenant_id == null ? null : String(r.tenant_id),
    reason: String(r.reason),
    error: String(r.error),
    payload: decode(String(r.payload)),
    createdAt: new Date(Number(r.created_at)).toISOString(),
    replayedAt: r.replayed_at == null ? null : new Date(Number(r.replayed_at)).toISOString(),
    replays: Number(r.replays),
  };
}
