import type { Redis } from 'ioredis';
import {
  blockingRedisOptions,
  closeConnection,
  createRedisConnection,
  duplicateConnection,
} from '../kv/createRedisConnection';
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

export interface RedisStreamQueueOptions {
  /** A connected ioredis client (shared, not closed by the queue) or a URL (own client, closed on close()). */
  redis: Redis | string;
  /** Key prefix: streams are `<prefix>stream:<topic>`. */
  prefix: string;
  /** How long publish() buffers before writing. Default 5 ms. */
  flushIntervalMs?: number;
  /** Write at once when this many messages are buffered. Default 1000. */
  maxBuffer?: number;
  /** publish() throws once this many messages are waiting (Redis down). Default 100 000. */
  bufferLimit?: number;
  /**
   * Trim each stream to about this many entries (XADD MAXLEN ~). Unset: no length cap. A cap can
   * drop entries no consumer has read yet (during an outage); prefer `trimIntervalMs`.
   */
  maxLen?: number;
  /**
   * Every this many ms, delete entries every consumer group of the stream has acknowledged
   * (XTRIM MINID), so streams do not grow forever. 0 disables. Default 30 000.
   */
  trimIntervalMs?: number;
  /** Receives background failures (writes, consumer loops, connection errors). */
  onError?: (err: unknown) => void;
}

/** Stream entry as ioredis returns it: id and flat field/value list (null for a deleted entry). */
type StreamEntry = [id: string, fields: string[] | null];

const PAYLOAD_FIELD = 'p';

/**
 * XADD of many entries to one stream in one command: KEYS[1] the stream, ARGV[1] the MAXLEN ('' for
 * none), the payloads after it. Each entry's result is its id, or its error prefixed with '!'
 * (redis.pcall: one refused entry does not stop the others, as in a pipeline of XADDs).
 *
 * Why a script: ioredis builds a Command per XADD (a promise and two reactions, argument strings,
 * a reply to parse), which on the request path cost more than everything else a usage record does;
 * a batch is one command here (one entry alone is a plain XADD: xaddOne). EVAL, not EVALSHA: a NOSCRIPT answer (after a Redis restart or
 * SCRIPT FLUSH) would mean the entries were not written after the hand-off said they were on their
 * way. Redis compiles the script once and finds it again by its hash.
 */
const XADD_BATCH = `local out = {}
for i = 2, #ARGV do
  local r
  if ARGV[1] == '' then r = redis.pcall('XADD', KEYS[1], '*', '${PAYLOAD_FIELD}', ARGV[i])
  else r = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '${PAYLOAD_FIELD}', ARGV[i]) end
  if type(r) == 'table' and r.err then out[#out + 1] = '!' .. r.err else out[#out + 1] = r end
end
return out`;
const noop = (): void => {};
/** The hand-off of a write already in the kernel: one settled promise shared by every such publish. */
const HANDED_OFF = Promise.resolve();
const DEFAULT_CONSUME_BLOCK_MS = 1000;

function errorMessage(err: unknown): string {
  return typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
}

function payloadOf(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === PAYLOAD_FIELD) return fields[i + 1];
  return 'null';
}

/** Orders stream ids (`<ms>-<seq>`) numerically. */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** XINFO GROUPS answers each group as a flat [name, value, …] list. */
function fieldsToObject(list: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = list[i + 1];
  return out;
}

/**
 * EventQueue on Redis Streams: one stream per topic, one consumer group per consuming service.
 * Publishing buffers and writes with one pipelined XADD batch; reads reclaim idle pending entries
 * (XAUTOCLAIM) before taking new ones (XREADGROUP). Blocking reads run on their own connections so
 * they never hold up the commands of the request path.
 */
class RedisStreamQueue implements EventQueue {
  readonly kind = 'redis' as const;
  private readonly buffer: PublishBuffer;
  private readonly keys = new Map<string, string>();
  private readonly groups = new Set<string>();
  /** XAUTOCLAIM resumes where the previous scan of the group's pending list stopped. */
  private readonly claimCursors = new Map<string, string>();
  private readonly loops = new Set<Subscription>();
  private readonly consumer = defaultConsumerName();
  /** For read() calls that block, made on first use. */
  private blocking: Redis | undefined;
  private closed = false;
  private trimTimer: NodeJS.Timeout | undefined;
  /** XADD_BATCH's MAXLEN argument ('' for none), formatted once. */
  private readonly maxLenArg: string;

  constructor(
    private readonly client: Redis,
    private readonly ownsClient: boolean,
    private readonly options: RedisStreamQueueOptions,
  ) {
    this.maxLenArg = options.maxLen === undefined ? '' : String(options.maxLen);
    this.buffer = new PublishBuffer({
      flushIntervalMs: options.flushIntervalMs ?? 5,
      maxBatch: options.maxBuffer ?? 1000,
      limit: options.bufferLimit ?? 100_000,
      backend: 'Redis',
      write: (topics, payloads) => this.writeBuffered(topics, payloads),
      onError: options.onError,
    });
    const every = options.trimIntervalMs ?? 30_000;
    if (every > 0) {
      this.trimTimer = setInterval(() => {
        this.trimAcknowledged().catch((err) => options.onError?.(err));
      }, every);
      this.trimTimer.unref();
    }
  }

  /**
   * Deletes, in every stream this process knows, the entries that every consumer group has
   * acknowledged: below the oldest pending entry, and never past a group's last-delivered id
   * (entries after it have not been read). A stream without groups is left alone, since its
   * entries still wait for their first consumer. Returns the number of entries deleted.
   */
  async trimAcknowledged(): Promise<number> {
    let deleted = 0;
    for (const key of this.keys.values()) {
      let groups: unknown[][];
      try {
        groups = (await this.client.call('xinfo', ['GROUPS', key])) as unknown[][];
      } catch {
        continue; // no such stream yet
      }
      if (!groups.length) continue;
      let minId: string | undefined;
      for (const raw of groups.map(fieldsToObject)) {
        let bound = String(raw['last-delivered-id']);
        if (Number(raw.pending) > 0) {
          const summary = (await this.client.xpending(key, String(raw.name))) as [
            number,
            string | null,
            string | null,
            unknown,
          ];
          if (summary[1] && compareIds(summary[1], bound) < 0) bound = summary[1];
        }
        if (minId === undefined || compareIds(bound, minId) < 0) minId = bound;
      }
      if (minId && minId !== '0-0') deleted += Number(await this.client.call('xtrim', [key, 'MINID', minId]));
    }
    return deleted;
  }

  publish<T>(topic: string, payload: T): void {
    validateTopic(topic);
    this.buffer.push(topic, serializePayload(payload));
  }

  /** Throws synchronously on a bad topic or an unserializable payload (nothing is written then). */
  publishHandedOff<T>(topic: string, payloads: T[]): HandOff {
    validateTopic(topic);
    if (payloads.length === 0) return { durable: Promise.resolve([]), handedOff: Promise.resolve() };
    const key = this.streamKey(topic);
    const serialized = payloads.length === 1 ? [serializePayload(payloads[0])] : payloads.map(serializePayload);
    // One reaction checks the answer and every entry's result: durable is the command's promise plus one.
    const durable = this.xaddBatch(key, serialized, true);
    // On a ready connection ioredis writes the command to the socket inside the call. An empty
    // userspace write buffer right after means the kernel holds all of it: the messages reach Redis
    // even if this process is killed now. Otherwise (connecting, offline queue, back-pressure) the
    // hand-off waits for Redis's reply.
    const socket = (this.client as unknown as { stream?: { writable?: boolean; writableLength?: number } }).stream;
    const inKernel = this.client.status === 'ready' && socket?.writable === true && socket.writableLength === 0;
    return { durable, handedOff: inKernel ? HANDED_OFF : durable.then(noop) };
  }

  async publishNow<T>(topic: string, payloads: T[]): Promise<string[]> {
    // Not publishHandedOff(...).durable: its hand-off promise would reject unobserved beside it
    // (an unhandled rejection) whenever the write fails while the connection is not ready.
    validateTopic(topic);
    if (payloads.length === 0) return [];
    return this.xaddBatch(this.streamKey(topic), payloads.map(serializePayload), true);
  }

  flush(): Promise<void> {
    return this.buffer.flush();
  }

  buffered(): number {
    return this.buffer.size();
  }

  async read<T>(topic: string, options: ConsumeOptions): Promise<QueueMessage<T>[]> {
    if (this.closed) throw new Error('The event queue is closed');
    validateTopic(topic);
    const settings = readSettings(options, { consumer: this.consumer, blockMs: 0 });
    // Standalone blocking reads share one extra connection (they queue behind each other on it).
    return this.readWith<T>(topic, settings, settings.blockMs > 0 ? this.sharedBlocking() : this.client);
  }

  async ack(topic: string, group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.xack(this.streamKey(topic), group, ...ids);
  }

  consume<T>(topic: string, options: ConsumeOptions, handler: BatchHandler<T>): Subscription {
    validateTopic(topic);
    if (this.closed) throw new Error('The event queue is closed');
    const settings = readSettings(options, { consumer: this.consumer, blockMs: DEFAULT_CONSUME_BLOCK_MS });
    // Each loop blocks on its own connection (made on its first blocking read); stop() drops it,
    // which also ends a block in progress at once.
    let connection: Redis | undefined;
    let watching = false;
    const loop = startConsumerLoop<T>({
      read: (signal) => {
        if (!watching) {
          watching = true;
          signal.addEventListener('abort', () => connection?.disconnect(), { once: true });
        }
        if (signal.aborted) return Promise.resolve([]);
        if (settings.blockMs > 0)
          connection ??= duplicateConnection(this.client, blockingRedisOptions, this.options.onError);
        return this.readWith<T>(topic, settings, connection ?? this.client);
      },
      ack: (ids) => this.ack(topic, settings.group, ids),
      handler,
      idleDelayMs: settings.blockMs > 0 ? 0 : 100,
      onError: this.options.onError,
      onStop: () => {
        this.loops.delete(subscription);
        connection?.disconnect();
      },
    });
    const subscription: Subscription = { stop: () => loop.stop() };
    this.loops.add(subscription);
    return subscription;
  }

  async lag(topic: string, group: string): Promise<number> {
    const key = this.streamKey(topic);
    let groups: unknown[][];
    try {
      groups = (await this.client.call('xinfo', ['GROUPS', key])) as unknown[][];
    } catch (err) {
      if (/no such key/i.test(errorMessage(err))) return 0;
      throw err;
    }
    const info = groups.map(fieldsToObject).find((g) => g.name === group);
    // A group is created at the start of the stream, so until then everything in it is lag.
    if (info === undefined) return this.client.xlen(key);
    const pending = Number(info.pending ?? 0);
    // Redis 7 reports `lag` (entries not yet delivered to the group); it is null after some deletions.
    if (info.lag !== undefined && info.lag !== null) return pending + Number(info.lag);
    return pending + (await this.countAfter(key, String(info['last-delivered-id'])));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    await Promise.all([...this.loops].map((loop) => loop.stop()));
    try {
      await this.buffer.close();
    } finally {
      if (this.blocking !== undefined) this.blocking.disconnect();
      if (this.ownsClient) await closeConnection(this.client);
    }
  }

  private streamKey(topic: string): string {
    let key = this.keys.get(topic);
    if (key === undefined) {
      key = `${this.options.prefix}stream:${topic}`;
      this.keys.set(topic, key);
    }
    return key;
  }

  /**
   * One EVAL of XADD_BATCH: per entry, its id or '!' and the error Redis gave for it. With
   * `allOrNothing`, an entry's error rejects the whole promise instead (publishHandedOff's contract).
   */
  private xaddBatch(key: string, payloads: string[], allOrNothing = false): Promise<string[]> {
    // Not async: the command must be on the socket when this returns (see publishHandedOff).
    if (payloads.length === 1) return this.xaddOne(key, payloads[0], allOrNothing);
    return this.client.eval(XADD_BATCH, 1, key, this.maxLenArg, ...payloads).then((results: unknown) => {
      if (!Array.isArray(results) || results.length !== payloads.length)
        throw new Error(`Redis answered the XADD batch to ${key} with ${JSON.stringify(results)?.slice(0, 200)}`);
      for (let i = 0; i < results.length; i++) {
        const r = typeof results[i] === 'string' ? (results[i] as string) : String(results[i]);
        if (allOrNothing && r.startsWith('!')) throw new Error(`XADD to ${key} failed: ${r.slice(1)}`);
        results[i] = r;
      }
      return results as string[];
    });
  }

  /**
   * xaddBatch of one entry (a write-ahead record of a call alone, a quiet buffer): a plain XADD,
   * same results. Measured with plugins/usage/bench/queueCommand.ts: the script's EVAL sends its
   * text and runs Lua for one entry, ~1.5 µs more of this process's CPU and ~4 µs more of Redis's
   * per record than XADD; from two entries on the script is the cheaper command for this process.
   */
  private xaddOne(key: string, payload: string, allOrNothing: boolean): Promise<string[]> {
    const sent =
      this.maxLenArg === ''
        ? this.client.xadd(key, '*', PAYLOAD_FIELD, payload)
        : this.client.xadd(key, 'MAXLEN', '~', this.maxLenArg, '*', PAYLOAD_FIELD, payload);
    return sent.then(
      (id) => [String(id)],
      (err: unknown) => {
        // Redis refused the entry (as redis.pcall reports it in the script); a lost connection rejects as is.
        if ((err as Error)?.name !== 'ReplyError') throw err;
        if (allOrNothing) throw new Error(`XADD to ${key} failed: ${errorMessage(err)}`);
        return [`!${errorMessage(err)}`];
      },
    );
  }

  /** One XADD batch per topic (usually one topic); entries Redis rejected go back to the buffer. */
  private async writeBuffered(topics: string[], payloads: string[]): Promise<WriteOutcome | undefined> {
    if (topics.every((t) => t === topics[0])) return this.writeOneTopic(topics[0], payloads);
    const byTopic = new Map<string, number[]>();
    for (let i = 0; i < topics.length; i++) {
      let at = byTopic.get(topics[i]);
      if (!at) byTopic.set(topics[i], (at = []));
      at.push(i);
    }
    const batches = [...byTopic].map(([topic, at]) =>
      this.xaddBatch(
        this.streamKey(topic),
        at.map((i) => payloads[i]),
      ).then(
        (results) => ({ at, results, error: undefined as unknown }),
        (error: unknown) => ({ at, results: undefined, error }),
      ),
    );
    let failed: number[] | undefined;
    let error: unknown;
    for (const b of await Promise.all(batches)) {
      for (let j = 0; j < b.at.length; j++) {
        const r = b.results?.[j];
        if (r !== undefined && !r.startsWith('!')) continue;
        (failed ??= []).push(b.at[j]);
        error ??= b.error ?? new Error(`XADD failed: ${r!.slice(1)}`);
      }
    }
    if (failed === undefined) return undefined;
    failed.sort((x, y) => x - y);
    if (failed.length === topics.length) throw error;
    return { failed, error };
  }

  /** writeBuffered when every message has the same topic (the usual case): no grouping, no copies. */
  private async writeOneTopic(topic: string, payloads: string[]): Promise<WriteOutcome | undefined> {
    const results = await this.xaddBatch(this.streamKey(topic), payloads);
    let failed: number[] | undefined;
    let error: unknown;
    for (let i = 0; i < results.length; i++) {
      if (!results[i].startsWith('!')) continue;
      (failed ??= []).push(i);
      error ??= new Error(`XADD failed: ${results[i].slice(1)}`);
    }
    if (failed === undefined) return undefined;
    if (failed.length === payloads.length) throw error;
    return { failed, error };
  }

  private sharedBlocking(): Redis {
    this.blocking ??= duplicateConnection(this.client, blockingRedisOptions, this.options.onError);
    return this.blocking;
  }

  private async readWith<T>(
    topic: string,
    settings: ReadSettings,
    blockingConnection: Redis,
  ): Promise<QueueMessage<T>[]> {
    const key = this.streamKey(topic);
    try {
      return await this.readOnce<T>(topic, key, settings, blockingConnection);
    } catch (err) {
      // The stream (and its groups) was deleted since we created the group: create it again, once.
      if (!errorMessage(err).startsWith('NOGROUP')) throw err;
      this.groups.delete(`${key}\u0000${settings.group}`);
      return this.readOnce<T>(topic, key, settings, blockingConnection);
    }
  }

  private async readOnce<T>(
    topic: string,
    key: string,
    settings: ReadSettings,
    blockingConnection: Redis,
  ): Promise<QueueMessage<T>[]> {
    const { group, consumer, batchSize } = settings;
    await this.ensureGroup(key, group);
    const messages = await this.reclaimIdle<T>(topic, key, group, consumer, batchSize, settings.claimIdleMs);
    const remaining = batchSize - messages.length;
    if (remaining <= 0) return messages;
    // Block only when there is nothing to hand back yet.
    const blockMs = messages.length === 0 ? settings.blockMs : 0;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', remaining];
    if (blockMs > 0) args.push('BLOCK', blockMs);
    args.push('STREAMS', key, '>');
    const connection = blockMs > 0 ? blockingConnection : this.client;
    const reply = (await connection.call('xreadgroup', args)) as [string, StreamEntry[]][] | null;
    if (reply !== null && reply.length > 0) {
      for (const [id, fields] of reply[0][1]) {
        if (fields !== null) messages.push({ id, topic, payload: parsePayload<T>(payloadOf(fields)), deliveries: 0 });
      }
    }
    return messages;
  }

  /** XAUTOCLAIM: take over entries another consumer (or a crashed one) has held for claimIdleMs. */
  private async reclaimIdle<T>(
    topic: string,
    key: string,
    group: string,
    consumer: string,
    count: number,
    claimIdleMs: number,
  ): Promise<QueueMessage<T>[]> {
    const cursorKey = `${key}\u0000${group}`;
    const start = this.claimCursors.get(cursorKey) ?? '0-0';
    const reply = (await this.client.call('xautoclaim', [
      key,
      group,
      consumer,
      claimIdleMs,
      start,
      'COUNT',
      count,
    ])) as [string, StreamEntry[], string[]?];
    this.claimCursors.set(cursorKey, reply[0]);
    const entries = reply[1].filter((entry): entry is [string, string[]] => entry !== null && entry[1] !== null);
    if (entries.length === 0) return [];
    const counts = await this.deliveryCounts(
      key,
      group,
      entries.map(([id]) => id),
    );
    return entries.map(([id, fields]) => ({
      id,
      topic,
      payload: parsePayload<T>(payloadOf(fields)),
      // XAUTOCLAIM counted this delivery already; the contract counts the ones before it.
      deliveries: Math.max(0, (counts.get(id) ?? 1) - 1),
    }));
  }

  /** Delivery counts from the pending list, one XPENDING per entry in one pipeline (reclaims are rare). */
  private async deliveryCounts(key: string, group: string, ids: string[]): Promise<Map<string, number>> {
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.xpending(key, group, id, id, 1);
    const results = (await pipeline.exec()) ?? [];
    const counts = new Map<string, number>();
    for (const [err, rows] of results) {
      if (err) continue;
      for (const row of rows as [string, string, number, number][]) counts.set(row[0], Number(row[3]));
    }
    return counts;
  }

  /** Creates the group at the start of the stream (MKSTREAM: the stream may not exist yet). */
  private async ensureGroup(key: string, group: string): Promise<void> {
    const cacheKey = `${key}\u0000${group}`;
    if (this.groups.has(cacheKey)) return;
    try {
      await this.client.xgroup('CREATE', key, group, '0', 'MKSTREAM');
    } catch (err) {
      if (!errorMessage(err).startsWith('BUSYGROUP')) throw err;
    }
    this.groups.add(cacheKey);
  }

  /** Entries after `lastId` (lag fallback for servers without XINFO's `lag`). */
  private async countAfter(key: string, lastId: string): Promise<number> {
    let total = 0;
    let start = `(${lastId}`;
    for (;;) {
      const entries = (await this.client.xrange(key, start, '+', 'COUNT', 1000)) as StreamEntry[];
      total += entries.length;
      if (entries.length < 1000) return total;
      start = `(${entries[entries.length - 1][0]}`;
    }
  }
}

/** Creates the Redis Streams EventQueue. */
export function createRedisStreamQueue(
  options: RedisStreamQueueOptions,
): EventQueue & { trimAcknowledged(): Promise<number> } {
  if (typeof options.redis === 'string') {
    const client = createRedisConnection(options.redis, undefined, options.onError);
    return new RedisStreamQueue(client, true, options);
  }
  return new RedisStreamQueue(options.redis, false, options);
}
