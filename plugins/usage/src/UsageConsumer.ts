import { USAGE_TOPIC, type PluginContext, type QueueMessage } from '@aihub/core/plugin-api';
import { randomUUID } from 'node:crypto';
import type { UsageConfig } from './config';
import { InterruptibleSleep, isTransientDbError, retryTransientDb } from '@aihub/core/plugin-api';
import type { UsageMetrics } from './metrics';
import type { Mutex } from './mutex';
import { interruptedRow, parseRecord, type UsageRow } from './records';
import type { Sql } from '@aihub/core/plugin-api';
import type { SpendService } from './budgets/SpendService';
import type { UsageWriter, WriteResult } from './writer/UsageWriter';

type Subscription = ReturnType<PluginContext['queue']['consume']>;

/**
 * Reads usage records from the EventQueue in batches and writes them (UsageWriter), then acks.
 * While the database is unreachable the batch is retried with backoff and nothing is acked, so
 * records wait in the queue (Redis Stream or outbox) and land once it is back. Malformed records go
 * to a dead-letter table instead of blocking the queue.
 */
export class UsageConsumer {
  private subscription?: Subscription;
  private sweepTimer?: NodeJS.Timeout;
  private stopping = false;
  private readonly sleeper = new InterruptibleSleep();
  /** The last read returned a full batch: there is a backlog, so write-ahead records are not swept yet. */
  private backlog = false;
  private sweeping = false;

  constructor(
    private readonly ctx: PluginContext<UsageConfig>,
    private readonly sql: Sql,
    private readonly writer: UsageWriter,
    private readonly spend: SpendService,
    private readonly mutex: Mutex,
    private readonly metrics: UsageMetrics,
    private readonly rejectedTable: string,
  ) {}

  start(): void {
    const c = this.ctx.config.consumer;
    this.subscription = this.ctx.queue.consume<unknown>(
      USAGE_TOPIC,
      { group: 'usage', consumer: `${process.pid}-${randomUUID().slice(0, 8)}`, batchSize: c.batchSize, blockMs: c.blockMs, claimIdleMs: c.claimIdleMs },
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
    const finals = new Map<string, UsageRow>();
    const pendings = new Map<string, UsageRow>();
    const invalid: { payload: unknown; reason: string }[] = [];
    let inBatchDuplicates = 0;
    for (const m of messages) {
      const parsed = parseRecord(m.payload);
      if (parsed.kind === 'invalid') invalid.push({ payload: m.payload, reason: parsed.reason });
      else if (parsed.kind === 'pending') pendings.set(parsed.row.requestId, parsed.row);
      else if (finals.has(parsed.row.requestId)) inBatchDuplicates++;
      else finals.set(parsed.row.requestId, parsed.row);
    }
    for (const id of finals.keys()) pendings.delete(id);
    const end = this.metrics.batchDuration.startTimer();
    await this.retrying(async () => {
      if (invalid.length) await this.deadLetter(invalid);
      await this.writeRows([...finals.values()], [...pendings.values()]);
    });
    end();
    if (inBatchDuplicates) this.metrics.duplicates.inc(inBatchDuplicates);
    this.metrics.batches.inc({ outcome: 'ok' });
    if (!this.backlog) await this.linger();
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
      let result: WriteResult;
      try {
        result = await this.writer.write(finals, pendings);
      } catch (err) {
        if (isTransientDbError(err) || finals.length + pendings.length <= 1) throw err;
        // One bad row must not block the rest: write them one by one, dead-lettering what fails.
        result = await this.writeOneByOne(finals, pendings);
      }
      await this.spend.apply(result);
      if (result.inserted.length) this.metrics.written.inc(result.inserted.length);
      if (result.duplicates) this.metrics.duplicates.inc(result.duplicates);
      if (result.replaced.length) this.metrics.replaced.inc(result.replaced.length);
      if (result.pendingStored) this.metrics.pending.inc(result.pendingStored);
      return result;
    });
  }

  private async writeOneByOne(finals: UsageRow[], pendings: UsageRow[]): Promise<WriteResult> {
    const total: WriteResult = { inserted: [], replaced: [], duplicates: 0, pendingStored: 0 };
    const items: [UsageRow[], UsageRow[]][] = [...finals.map((f): [UsageRow[], UsageRow[]] => [[f], []]), ...pendings.map((p): [UsageRow[], UsageRow[]] => [[], [p]])];
    for (const [f, p] of items) {
      try {
        const r = await this.writer.write(f, p);
        total.inserted.push(...r.inserted);
        total.replaced.push(...r.replaced);
        total.duplicates += r.duplicates;
        total.pendingStored += r.pendingStored;
      } catch (err) {
        if (isTransientDbError(err)) throw err;
        await this.deadLetter([{ payload: f[0] ?? p[0], reason: `write failed: ${(err as Error).message}` }]);
      }
    }
    return total;
  }

  private async deadLetter(items: { payload: unknown; reason: string }[]): Promise<void> {
    const now = new Date().toISOString();
    for (const item of items) {
      let payload: string;
      try {
        payload = JSON.stringify(item.payload) ?? 'undefined';
      } catch {
        payload = String(item.payload);
      }
      await this.sql.rows(`INSERT INTO ${this.rejectedTable} (id, created_at, reason, payload) VALUES ($1, $2, $3, $4) RETURNING id`, [randomUUID(), now, item.reason.slice(0, 500), payload]);
    }
    this.metrics.rejected.inc(items.length);
    this.ctx.logger.error('malformed usage records kept as dead letters', { count: items.length, reason: items[0]?.reason });
  }

  /**
   * Retries while the database is unreachable, with exponential backoff, until it succeeds or the
   * plugin stops (then the batch stays unacked and is redelivered after a restart).
   */
  private retrying(fn: () => Promise<void>): Promise<void> {
    const { retryInitialMs, retryMaxMs } = this.ctx.config.consumer;
    return retryTransientDb(fn, {
      initialMs: retryInitialMs,
      maxMs: retryMaxMs,
      sleeper: this.sleeper,
      stopping: () => this.stopping,
      onRetry: (err, first) => {
        this.metrics.batches.inc({ outcome: 'retry' });
        if (first) this.ctx.logger.warn('usage database unavailable; records wait in the queue and are retried', { err });
      },
      onGiveUp: () => this.metrics.batches.inc({ outcome: 'error' }),
      onResumed: () => this.ctx.logger.info('usage writes resumed'),
    });
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
        if (result.inserted.length) this.ctx.logger.warn('billed interrupted requests from their write-ahead records', { count: result.inserted.length });
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
