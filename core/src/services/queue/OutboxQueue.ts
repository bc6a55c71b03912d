import { EventEmitter } from 'node:events';
import { QueryTypes, type Transaction } from 'sequelize';
import { systemClock, type Clock } from '../Clock';
import type { Database } from '../database/Database';
import type { BatchHandler, ConsumeOptions, EventQueue, HandOff, QueueMessage, Subscription } from './EventQueue';
import { startConsumerLoop } from './consumeLoop';
import { PublishBuffer, type WriteOutcome } from './PublishBuffer';
import {
  defaultConsumerName,
  parsePayload,
  readSettings,
  serializePayload,
  validateTopic,
  type ReadSettings,
} from './queueMessages';

export { coreQueueMigrations } from './outboxMigrations';

export interface OutboxQueueOptions {
  /** The database holding the outbox tables (created by `coreQueueMigrations`). */
  database: Database;
  clock?: Clock;
  /** How long publish() buffers before writing. Default 5 ms. */
  flushIntervalMs?: number;
  /** Write at once when this many messages are buffered. Default 1000. */
  maxBuffer?: number;
  /** publish() throws once this many messages are waiting (database down). Default 100 000. */
  bufferLimit?: number;
  /** How often fully acked messages are deleted; 0 turns the periodic cleanup off. Default 60 s. */
  cleanupIntervalMs?: number;
  /** Longest pause between polls of a blocking read. Default 250 ms. */
  maxPollIntervalMs?: number;
  /** Receives background failures (writes, cleanup, consumer loops). */
  onError?: (err: unknown) => void;
}

const OUTBOX = 'aihub_outbox';
const GROUPS = 'aihub_outbox_groups';
const DELIVERIES = 'aihub_outbox_deliveries';
/** Rows per INSERT: 2 bind parameters each stays far below SQLite's and PostgreSQL's limits. */
const INSERT_CHUNK = 1000;
/** Messages deleted per cleanup statement. */
const CLEANUP_CHUNK = 1000;
const MIN_POLL_MS = 5;
const DEFAULT_CONSUME_BLOCK_MS = 1000;

/**
 * Sequelize's SQLite dialect runs any statement that starts with "INSERT INTO" with sqlite3's run(),
 * which drops RETURNING rows; a leading comment makes it use all(), which returns them.
 */
const RETURNS_ROWS = '/* returning */ ';

const ID = /^\d{1,15}$/;

function toIdNumbers(ids: string[]): number[] {
  return ids.map((id) => {
    if (!ID.test(id)) throw new Error(`"${id}" is not a message id of the database queue`);
    return Number(id);
  });
}

/** Event name for a topic; prefixed so a topic called "error" is not EventEmitter's error event. */
function wakeEvent(topic: string): string {
  return `topic:${topic}`;
}

/** `$from, $from+1, …` for `count` bind parameters. */
function placeholders(from: number, count: number): string {
  const parts = new Array<string>(count);
  for (let i = 0; i < count; i++) parts[i] = `$${from + i}`;
  return parts.join(', ');
}

/**
 * EventQueue on a database table (the transactional outbox), for the embedded default and for
 * deployments without Redis. Works on SQLite and PostgreSQL.
 *
 * A group sees every message of a topic: "fresh" for a group are the messages without a delivery
 * row of that group (no cursor, so a message whose INSERT commits after a later id's is still
 * seen). Claiming inserts delivery rows; reads of one group are serialized by a row lock on the
 * group (PostgreSQL) or by SQLite's single writer, so two consumers never claim the same message.
 * A delivery row not acked within `claimIdleMs` is claimed again, by whichever consumer reads.
 */
class OutboxQueue implements EventQueue {
  readonly kind = 'database' as const;
  private readonly buffer: PublishBuffer;
  private readonly clock: Clock;
  /** Wakes blocking reads of this process when a write of a topic lands. */
  private readonly published = new EventEmitter();
  private readonly knownGroups = new Set<string>();
  private readonly loops = new Set<Subscription>();
  private readonly lifetime = new AbortController();
  private readonly consumer = defaultConsumerName();
  private readonly cleanupTimer: NodeJS.Timeout | undefined;
  private cleaning: Promise<number> | undefined;
  private readonly maxPollMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: OutboxQueueOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxPollMs = options.maxPollIntervalMs ?? 250;
    this.published.setMaxListeners(0);
    this.buffer = new PublishBuffer({
      flushIntervalMs: options.flushIntervalMs ?? 5,
      maxBatch: options.maxBuffer ?? 1000,
      limit: options.bufferLimit ?? 100_000,
      backend: 'the database',
      write: (topics, payloads) => this.writeBuffered(topics, payloads),
      onError: options.onError,
    });
    const every = options.cleanupIntervalMs ?? 60_000;
    if (every > 0) {
      this.cleanupTimer = setInterval(() => {
        this.cleanup().catch((err: unknown) => options.onError?.(err));
      }, every);
      this.cleanupTimer.unref();
    }
  }

  publish<T>(topic: string, payload: T): void {
    validateTopic(topic);
    this.buffer.push(topic, serializePayload(payload));
  }

  /** A database write is handed off when it is committed. */
  publishHandedOff<T>(topic: string, payloads: T[]): HandOff {
    validateTopic(topic);
    const durable = this.publishNow(topic, payloads);
    return { durable, handedOff: durable.then(() => undefined) };
  }

  async publishNow<T>(topic: string, payloads: T[]): Promise<string[]> {
    validateTopic(topic);
    if (payloads.length === 0) return [];
    const texts = payloads.map(serializePayload);
    const insertAll = async (transaction?: Transaction): Promise<string[]> => {
      const ids: string[] = [];
      for (let start = 0; start < texts.length; start += INSERT_CHUNK) {
        const end = Math.min(start + INSERT_CHUNK, texts.length);
        ids.push(
          ...(await this.insert(new Array<string>(end - start).fill(topic), texts.slice(start, end), transaction)),
        );
      }
      return ids;
    };
    // Several statements in one transaction: on failure none is written, so a retry adds no duplicates.
    const ids = texts.length > INSERT_CHUNK ? await this.db.transaction(insertAll) : await insertAll();
    this.published.emit(wakeEvent(topic));
    return ids;
  }

  flush(): Promise<void> {
    return this.buffer.flush();
  }

  buffered(): number {
    return this.buffer.size();
  }

  async read<T>(topic: string, options: ConsumeOptions): Promise<QueueMessage<T>[]> {
    if (this.lifetime.signal.aborted) throw new Error('The event queue is closed');
    validateTopic(topic);
    return this.readBlocking<T>(
      topic,
      readSettings(options, { consumer: this.consumer, blockMs: 0 }),
      this.lifetime.signal,
    );
  }

  async ack(topic: string, group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const numbers = toIdNumbers(ids);
    for (let start = 0; start < numbers.length; start += INSERT_CHUNK) {
      const chunk = numbers.slice(start, start + INSERT_CHUNK);
      await this.db.sequelize.query(
        `UPDATE ${DELIVERIES} SET acked = 1 WHERE group_name = $1 AND topic = $2 AND message_id IN (${placeholders(3, chunk.length)})`,
        { bind: [group, topic, ...chunk] },
      );
    }
  }

  consume<T>(topic: string, options: ConsumeOptions, handler: BatchHandler<T>): Subscription {
    if (this.lifetime.signal.aborted) throw new Error('The event queue is closed');
    validateTopic(topic);
    const settings = readSettings(options, { consumer: this.consumer, blockMs: DEFAULT_CONSUME_BLOCK_MS });
    const loop = startConsumerLoop<T>({
      // close() stops every loop, which aborts this signal: no need to also watch the queue's lifetime.
      read: (signal) => this.readBlocking<T>(topic, settings, signal),
      ack: (ids) => this.ack(topic, settings.group, ids),
      handler,
      idleDelayMs: settings.blockMs > 0 ? 0 : this.maxPollMs,
      onError: this.options.onError,
      onStop: () => {
        this.loops.delete(subscription);
      },
    });
    const subscription: Subscription = { stop: () => loop.stop() };
    this.loops.add(subscription);
    return subscription;
  }

  async lag(topic: string, group: string): Promise<number> {
    const [row] = await this.db.sequelize.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM ${OUTBOX} o WHERE o.topic = $1 AND NOT EXISTS ` +
        `(SELECT 1 FROM ${DELIVERIES} d WHERE d.group_name = $2 AND d.message_id = o.id AND d.acked = 1)`,
      { bind: [topic, group], type: QueryTypes.SELECT },
    );
    return Number(row.n);
  }

  /**
   * Deletes messages that every known group of their topic has acked, with their delivery rows.
   * Runs periodically; exposed for tests and for an admin purge. Returns how many messages went.
   */
  cleanup(): Promise<number> {
    this.cleaning ??= this.deleteAcked().finally(() => {
      this.cleaning = undefined;
    });
    return this.cleaning;
  }

  async close(): Promise<void> {
    if (this.cleanupTimer !== undefined) clearInterval(this.cleanupTimer);
    this.lifetime.abort();
    await Promise.all([...this.loops].map((loop) => loop.stop()));
    // Let a running cleanup finish before the caller closes the database under it.
    await this.cleaning?.catch(() => {});
    await this.buffer.close();
  }

  private async writeBuffered(topics: string[], payloads: string[]): Promise<WriteOutcome | undefined> {
    const written = new Set<string>();
    let outcome: WriteOutcome | undefined;
    for (let start = 0; start < topics.length; start += INSERT_CHUNK) {
      const end = Math.min(start + INSERT_CHUNK, topics.length);
      try {
        await this.insert(topics.slice(start, end), payloads.slice(start, end));
      } catch (err) {
        if (start === 0) throw err;
        // Earlier chunks are durable; this one and the rest go back to the buffer.
        outcome = { failed: Array.from({ length: topics.length - start }, (_, i) => start + i), error: err };
        break;
      }
      for (let i = start; i < end; i++) written.add(topics[i]);
    }
    for (const topic of written) this.published.emit(wakeEvent(topic));
    return outcome;
  }

  /** One multi-row INSERT; returns the new ids in payload order. */
  private async insert(topics: string[], payloads: string[], transaction?: Transaction): Promise<string[]> {
    const bind = new Array<string | number>(1 + topics.length * 2);
    bind[0] = this.clock.now();
    const rows = new Array<string>(topics.length);
    for (let i = 0; i < topics.length; i++) {
      bind[1 + i * 2] = topics[i];
      bind[2 + i * 2] = payloads[i];
      rows[i] = `($${2 + i * 2}, $${3 + i * 2}, $1)`;
    }
    const inserted = await this.db.sequelize.query<{ id: number | string }>(
      `${RETURNS_ROWS}INSERT INTO ${OUTBOX} (topic, payload, created_at) VALUES ${rows.join(', ')} RETURNING id`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    // One statement takes consecutive ids in VALUES order; RETURNING order is not guaranteed on SQLite.
    return inserted
      .map((r) => Number(r.id))
      .sort((a, b) => a - b)
      .map(String);
  }

  /** Claims a batch; when there is none, polls (woken early by local writes) until blockMs passes. */
  private async readBlocking<T>(
    topic: string,
    settings: ReadSettings,
    signal: AbortSignal,
  ): Promise<QueueMessage<T>[]> {
    const deadline = this.clock.monotonic() + settings.blockMs;
    let delay = MIN_POLL_MS;
    for (;;) {
      const batch = await this.claim<T>(topic, settings);
      if (batch.length > 0 || signal.aborted) return batch;
      const remaining = deadline - this.clock.monotonic();
      if (remaining <= 0) return batch;
      await this.waitForWrite(topic, Math.min(delay, remaining), signal);
      delay = Math.min(delay * 2, this.maxPollMs);
    }
  }

  /** Resolves after `ms`, when this process writes to the topic, or when `signal` aborts. */
  private waitForWrite(topic: string, ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const event = wakeEvent(topic);
    return new Promise((resolve) => {
      // Plain listeners rather than AbortSignal.any, which would tie a new signal per poll to a long-lived one.
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.published.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.published.on(event, done);
    });
  }

  private async claim<T>(topic: string, settings: ReadSettings): Promise<QueueMessage<T>[]> {
    const { group, consumer, batchSize: limit, claimIdleMs } = settings;
    await this.ensureGroup(topic, group);
    const claimed = await this.db.transaction(async (transaction) => {
      if (this.db.dialect === 'postgres') {
        // Serializes claims within the group; other groups and publishers are not blocked.
        await this.db.sequelize.query(`SELECT 1 FROM ${GROUPS} WHERE topic = $1 AND group_name = $2 FOR UPDATE`, {
          bind: [topic, group],
          type: QueryTypes.SELECT,
          transaction,
        });
      }
      const now = this.clock.now();
      const reclaimed = await this.reclaimIdle(topic, group, consumer, now, now - claimIdleMs, limit, transaction);
      const fresh =
        reclaimed.length < limit
          ? await this.claimFresh(topic, group, consumer, now, limit - reclaimed.length, transaction)
          : [];
      return { reclaimed, fresh };
    });
    const ids = [...claimed.reclaimed.map((r) => r.id), ...claimed.fresh];
    if (ids.length === 0) return [];
    const payloads = await this.loadPayloads(ids);
    const messages: QueueMessage<T>[] = [];
    for (const { id, deliveries } of claimed.reclaimed) {
      const payload = payloads.get(id);
      if (payload !== undefined)
        messages.push({ id: String(id), topic, payload: parsePayload<T>(payload), deliveries: deliveries - 1 });
    }
    for (const id of claimed.fresh) {
      const payload = payloads.get(id);
      if (payload !== undefined)
        messages.push({ id: String(id), topic, payload: parsePayload<T>(payload), deliveries: 0 });
    }
    return messages;
  }

  /** Takes over messages of the group whose holder has not acked them within claimIdleMs. */
  private async reclaimIdle(
    topic: string,
    group: string,
    consumer: string,
    now: number,
    idleBefore: number,
    limit: number,
    transaction: Transaction,
  ): Promise<{ id: number; deliveries: number }[]> {
    const rows = await this.db.sequelize.query<{ message_id: number | string; deliveries: number | string }>(
      `UPDATE ${DELIVERIES} SET consumer = $1, claimed_at = $2, deliveries = deliveries + 1 ` +
        `WHERE group_name = $3 AND message_id IN (SELECT message_id FROM ${DELIVERIES} ` +
        `WHERE topic = $4 AND group_name = $3 AND acked = 0 AND claimed_at <= $5 ORDER BY message_id LIMIT $6) ` +
        `RETURNING message_id, deliveries`,
      { bind: [consumer, now, group, topic, idleBefore, limit], type: QueryTypes.SELECT, transaction },
    );
    return rows
      .map((r) => ({ id: Number(r.message_id), deliveries: Number(r.deliveries) }))
      .sort((a, b) => a.id - b.id);
  }

  /** Claims the oldest messages of the topic this group has never been handed. */
  private async claimFresh(
    topic: string,
    group: string,
    consumer: string,
    now: number,
    limit: number,
    transaction: Transaction,
  ): Promise<number[]> {
    // CASTs: PostgreSQL types untyped parameters in a SELECT list as text, which a BIGINT column rejects.
    const rows = await this.db.sequelize.query<{ message_id: number | string }>(
      `${RETURNS_ROWS}INSERT INTO ${DELIVERIES} (group_name, message_id, topic, consumer, claimed_at, deliveries, acked) ` +
        `SELECT CAST($1 AS VARCHAR(200)), o.id, o.topic, CAST($2 AS VARCHAR(200)), CAST($3 AS BIGINT), 1, 0 FROM ${OUTBOX} o ` +
        `WHERE o.topic = $4 AND NOT EXISTS (SELECT 1 FROM ${DELIVERIES} d WHERE d.group_name = $1 AND d.message_id = o.id) ` +
        `ORDER BY o.id LIMIT $5 RETURNING message_id`,
      { bind: [group, consumer, now, topic, limit], type: QueryTypes.SELECT, transaction },
    );
    return rows.map((r) => Number(r.message_id)).sort((a, b) => a - b);
  }

  private async loadPayloads(ids: number[]): Promise<Map<number, string>> {
    const rows = await this.db.sequelize.query<{ id: number | string; payload: string }>(
      `SELECT id, payload FROM ${OUTBOX} WHERE id IN (${placeholders(1, ids.length)})`,
      { bind: ids, type: QueryTypes.SELECT },
    );
    const map = new Map<number, string>();
    for (const row of rows) map.set(Number(row.id), row.payload);
    return map;
  }

  /** Registers the group so cleanup waits for it; a new group sees every message still retained. */
  private async ensureGroup(topic: string, group: string): Promise<void> {
    const key = `${topic}\u0000${group}`;
    if (this.knownGroups.has(key)) return;
    await this.db.sequelize.query(
      `INSERT INTO ${GROUPS} (topic, group_name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      {
        bind: [topic, group, this.clock.now()],
      },
    );
    this.knownGroups.add(key);
  }

  private async deleteAcked(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await this.db.sequelize.query<{ message_id: number | string }>(
        `SELECT d.message_id FROM ${DELIVERIES} d WHERE d.acked = 1 GROUP BY d.message_id, d.topic ` +
          `HAVING COUNT(*) >= (SELECT COUNT(*) FROM ${GROUPS} g WHERE g.topic = d.topic) LIMIT ${CLEANUP_CHUNK}`,
        { type: QueryTypes.SELECT },
      );
      if (rows.length === 0) return deleted;
      const ids = rows.map((r) => Number(r.message_id));
      await this.db.transaction(async (transaction) => {
        const list = placeholders(1, ids.length);
        await this.db.sequelize.query(`DELETE FROM ${DELIVERIES} WHERE message_id IN (${list})`, {
          bind: ids,
          transaction,
        });
        await this.db.sequelize.query(`DELETE FROM ${OUTBOX} WHERE id IN (${list})`, { bind: ids, transaction });
      });
      deleted += ids.length;
      if (rows.length < CLEANUP_CHUNK) return deleted;
    }
  }
}

/** Creates the database-backed EventQueue. Tables come from `coreQueueMigrations`. */
export function createOutboxQueue(options: OutboxQueueOptions): EventQueue & { cleanup(): Promise<number> } {
  return new OutboxQueue(options.database, options);
}
