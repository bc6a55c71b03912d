import {
  USAGE_TOPIC,
  type DeadLetterInput,
  type PluginContext,
  type QueueMessage,
  type RetryTransientOptions,
} from '@aihub/core/plugin-api';
import { randomUUID } from 'node:crypto';
import type { UsageConfig } from './config';
import {
  DeadLetterStore,
  InterruptibleSleep,
  deadLetterCounter,
  deadLetterReason,
  retryTransientDb,
  writeIsolatingPoison,
} from '@aihub/core/plugin-api';
import type { UsageMetrics } from './metrics';
import type { Mutex } from './mutex';
import { hasStorableTime, interruptedRow, parseRecord, type UsageRow } from './records';
import type { SpendService } from './budgets/SpendService';
import type { UsageWriter, WriteResult } from './writer/UsageWriter';

const GROUP = 'usage';
/** The stable `code` of the warning logged for records stored with clamped figures (see parseRecord). */
export const CLAMPED_WARNING = 'usage_record_clamped';

/** One record of a batch with the message it came in (for its delivery count and its dead letter). */
interface Item {
  kind: 'final' | 'pending';
  row: UsageRow;
  message: QueueMessage<unknown>;
}

type Subscription = ReturnType<PluginContext['queue']['consume']>;

/**
 * Reads usage records from the EventQueue in batches and writes them (UsageWriter), then acks.
 * While the database is unreachable the batch is retried with backoff and nothing is acked, so
 * records wait in the queue (Redis Stream or outbox) and land once it is back. Characters the
 * database refuses are replaced by the writer (the record is still billed). Malformed records, and
 * the rare record the database still refuses on its own (writeIsolatingPoison splits the batch by
 * tenant, then in halves, to find it), go to core's dead letters with their payload, ready to be
 * replayed, instead of blocking the queue.
 */
export class UsageConsumer {
  private subscription?: Subscription;
  private sweepTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly sleeper = new InterruptibleSleep();
  /** The last read returned a full batch: there is a backlog, so write-ahead records are not swept yet. */
  private backlog = false;
  private sweeping = false;
  /** Malformed and refused records (core's aihub_dead_letters; listed and replayed by the admin route). */
  readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly ctx: PluginContext<UsageConfig>,
    private readonly writer: UsageWriter,
    private readonly spend: SpendService,
    private readonly mutex: Mutex,
    private readonly metrics: UsageMetrics,
  ) {
    this.deadLetters = new DeadLetterStore(ctx.database, deadLetterCounter(ctx.meter), () => ctx.clock.now());
  }

  start(): void {
    const c = this.ctx.config.consumer;
    this.subscription = this.ctx.queue.consume<unknown>(
      USAGE_TOPIC,
      {
        group: GROUP,
        consumer: `${process.pid}-${randomUUID().slice(0, 8)}`,
        batchSize: c.batchSize,
        blockMs: c.blockMs,
        claimIdleMs: c.claimIdleMs,
      },
      (messages) => this.handle(messages),
    );
    const pending = this.ctx.config.pending;
    this.sweepTimer = setInterval(() => void this.sweep(), pending.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.sleeper.interrupt();
    await this.subscription?.stop();
  }

  /** One batch from the queue. Resolves → acked; throws → left for redelivery. */
  async handle(messages: QueueMessage<unknown>[]): Promise<void> {
    this.backlog = messages.length >= this.ctx.config.consumer.batchSize;
    const finals = new Map<string, Item>();
    const pendings = new Map<string, Item>();
    const dead: DeadLetterInput[] = [];
    let inBatchDuplicates = 0;
    const redated: string[] = [];
    let clamped: { requestId: string; fields: string[] }[] | undefined;
    for (const m of messages) {
      const parsed = parseRecord(m.payload);
      // Figures beyond their column (a cost over $9 billion, 2^31 tokens) are billed at the column's
      // largest value rather than refused by the write and dead-lettered: counted and logged below.
      if (parsed.kind !== 'invalid' && parsed.clamped !== undefined)
        (clamped ??= []).push({ requestId: parsed.row.requestId, fields: parsed.clamped });
      // A time the database cannot store (year 10000, before year 1) would be refused by the write and
      // cost a bisection of the batch; the request still happened, so it is billed now rather than
      // dead-lettered (never lose a usage record), counted and logged with its original value.
      if (parsed.kind !== 'invalid' && !hasStorableTime(parsed.row)) {
        redated.push(`${parsed.row.requestId}: ${parsed.row.createdAt}`);
        // Both forms: the rollups, histograms and spend counters file the row under createdMs's day.
        const now = this.ctx.clock.now();
        parsed.row.createdAt = new Date(now).toISOString();
        parsed.row.createdMs = now;
      }
      if (parsed.kind === 'invalid') dead.push(this.deadLetter(m, 'malformed', parsed.reason));
      else if (parsed.kind === 'pending')
        pendings.set(parsed.row.requestId, { kind: 'pending', row: parsed.row, message: m });
      else if (finals.has(parsed.row.requestId)) inBatchDuplicates++;
      else finals.set(parsed.row.requestId, { kind: 'final', row: parsed.row, message: m });
    }
    for (const id of finals.keys()) pendings.delete(id);
    if (redated.length) {
      this.metrics.redated.inc(redated.length);
      this.ctx.logger.warn(
        'usage records with a time the database cannot store were billed at the time they were read',
        { records: redated.slice(0, 20) },
      );
    }
    if (clamped !== undefined) {
      this.metrics.clamped.inc(clamped.length);
      this.ctx.logger.warn(
        'usage records with figures beyond what the database stores were billed at the largest storable value',
        { code: CLAMPED_WARNING, records: clamped.slice(0, 20) },
      );
    }
    const end = this.metrics.batchDuration.startTimer();
    const retry = this.retryOptions();
    try {
      const r = await writeIsolatingPoison(
        [...finals.values(), ...pendings.values()],
        (part) =>
          this.writeRows(
            part.filter((i) => i.kind === 'final').map((i) => i.row),
            part.filter((i) => i.kind === 'pending').map((i) => i.row),
          ),
        { tenantOf: (i) => i.row.tenantId, deliveriesOf: (i) => i.message.deliveries, retry },
      );
      for (const p of r.poisoned)
        dead.push(this.deadLetter(p.item.message, deadLetterReason(p.error), errorText(p.error), p.item.row.tenantId));
      if (dead.length) await retryTransientDb(() => this.deadLetters.add(dead), retry);
    } catch (err) {
      this.metrics.batches.inc({ outcome: 'error' });
      throw err;
    }
    end();
    if (dead.length) {
      this.metrics.rejected.inc(dead.length);
      this.ctx.logger.error('usage records kept as dead letters', {
        count: dead.length,
        reasons: [...new Set(dead.map((d) => d.reason))],
        reason: dead[0].error,
      });
    }
    if (inBatchDuplicates) this.metrics.duplicates.inc(inBatchDuplicates);
    this.metrics.batches.inc({ outcome: 'ok' });
    if (!this.backlog) await this.linger();
  }

  private deadLetter(
    m: QueueMessage<unknown>,
    reason: string,
    error: string,
    tenantId?: string | null,
  ): DeadLetterInput {
    const payload = m.payload as { tenantId?: unknown } | null;
    const tenant =
      tenantId ??
      (payload && typeof payload === 'object' && typeof payload.tenantId === 'string' ? payload.tenantId : null);
    return { topic: USAGE_TOPIC, group: GROUP, messageId: m.id, tenantId: tenant, reason, error, payload: m.payload };
  }

  /** Light traffic: let records accumulate so each transaction writes many (stop() cuts it short). */
  private linger(): Promise<void> {
    const ms = this.ctx.config.consumer.lingerMs;
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return this.sleeper.sleep(ms);
  }

  /** Writes under the mutex (so reconciliation never interleaves), then updates counters and metrics. */
  private async writeRows(finals: UsageRow[], pendings: UsageRow[]): Promise<WriteResult> {
    return this.mutex.run(async () => {
      const result = await this.writer.write(finals, pendings);
      await this.spend.apply(result);
      if (result.inserted.length) this.metrics.written.inc(result.inserted.length);
      if (result.duplicates) this.metrics.duplicates.inc(result.duplicates);
      if (result.replaced.length) this.metrics.replaced.inc(result.replaced.length);
      if (result.pendingStored) this.metrics.pending.inc(result.pendingStored);
      if (result.sanitized.length) {
        this.metrics.sanitized.inc(result.sanitized.length);
        this.ctx.logger.warn('usage records stored with characters the database refuses replaced by U+FFFD', {
          records: result.sanitized.slice(0, 20),
        });
      }
      return result;
    });
  }

  /**
   * Database outages are retried with exponential backoff until the write succeeds or the plugin
   * stops (then the batch stays unacked and is redelivered after a restart).
   */
  private retryOptions(): RetryTransientOptions {
    const { retryInitialMs, retryMaxMs } = this.ctx.config.consumer;
    return {
      initialMs: retryInitialMs,
      maxMs: retryMaxMs,
      sleeper: this.sleeper,
      stopping: () => this.stopping,
      onRetry: (err, first) => {
        this.metrics.batches.inc({ outcome: 'retry' });
        if (first)
          this.ctx.logger.warn('usage database unavailable; records wait in the queue and are retried', { err });
      },
      onGiveUp: () => {},
      onResumed: () => this.ctx.logger.info('usage writes resumed'),
    };
  }

  /** Bills write-ahead records whose request cannot still be running (see records.INTERRUPTED_CODE). */
  async sweep(force = false): Promise<number> {
    if (this.sweeping || this.stopping || (this.backlog && !force)) return 0;
    this.sweeping = true;
    let total = 0;
    try {
      const timeoutMs = this.ctx.config.pending.timeoutMs ?? this.ctx.coreConfig.server.requestTimeoutMs + 60_000;
      const cutoff = new Date(this.ctx.clock.now() - timeoutMs).toISOString();
      for (;;) {
        const expired = await this.writer.expiredPending(cutoff, 500);
        if (!expired.length) break;
        const result = await this.writeRows(expired.map(interruptedRow), []);
        this.metrics.interrupted.inc(result.inserted.length);
        total += expired.length;
        if (result.inserted.length)
          this.ctx.logger.warn('billed interrupted requests from their write-ahead records', {
            count: result.inserted.length,
          });
        if (expired.length < 500) break;
      }
    } catch (err) {
      this.ctx.logger.warn('sweeping write-ahead usage records failed; will retry', { err });
    } finally {
      this.sweeping = false;
    }
    return total;
  }
}

function errorText(err: unknown): string {
  const e = err as { message?: unknown; parent?: { code?: unknown } } | null;
  const code = e?.parent?.code ? ` [${String(e.parent.code)}]` : '';
  return `${String(e?.message ?? err)}${code}`;
}
