import { randomUUID } from 'node:crypto';
import type {
  DeadLetterInput,
  PluginContext,
  QueueMessage,
  RetryTransientOptions,
  Subscription,
} from '@aihub/core/plugin-api';
import type { BehaviorConfig } from '../config';
import {
  DeadLetterStore,
  InterruptibleSleep,
  deadLetterCounter,
  deadLetterReason,
  retryTransientDb,
  writeIsolatingPoison,
} from '@aihub/core/plugin-api';
import { EVENT_TYPES, type StoredEvent } from '../ingest/events';
import { EVENTS_TOPIC, type BehaviorMetrics } from '../metrics';
import type { EventWriter, WriteOutcome } from './EventWriter';

const GROUP = 'behavior';
function isStoredEvent(p: unknown): p is StoredEvent {
  if (!p || typeof p !== 'object') return false;
  const e = p as Partial<StoredEvent>;
  return (
    typeof e.tenantId === 'string' &&
    typeof e.messageId === 'string' &&
    typeof e.timestamp === 'string' &&
    typeof e.receivedAt === 'string' &&
    EVENT_TYPES.includes(e.type as never) &&
    !!(e.userId || e.anonymousId)
  );
}

/**
 * Reads `behavior.events` in batches and writes them (EventWriter), then acks. While the database is
 * unreachable the batch is retried with backoff and nothing is acked: events wait in the queue. An
 * event the database refuses on its own (writeIsolatingPoison splits the batch by tenant, then in
 * halves, to find it) is kept as a dead letter and the rest of the batch is written and acked, so
 * one tenant's bad event never holds back another tenant's.
 */
export class EventConsumer {
  private subscription?: Subscription;
  private stopping = false;
  private readonly sleeper = new InterruptibleSleep();
  /** Where refused and malformed events go (core's aihub_dead_letters; listed by the admin route). */
  readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly ctx: PluginContext<BehaviorConfig>,
    private readonly writer: EventWriter,
    private readonly metrics: BehaviorMetrics,
  ) {
    this.deadLetters = new DeadLetterStore(ctx.database, deadLetterCounter(ctx.meter), () => ctx.clock.now());
  }

  start(): void {
    const c = this.ctx.config.consumer;
    this.subscription = this.ctx.queue.consume<unknown>(
      EVENTS_TOPIC,
      {
        group: GROUP,
        consumer: `${process.pid}-${randomUUID().slice(0, 8)}`,
        batchSize: c.batchSize,
        blockMs: c.blockMs,
        claimIdleMs: c.claimIdleMs,
      },
      (messages) => this.handle(messages),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.interrupt();
    await this.subscription?.stop();
  }

  /** Light traffic: let events accumulate so each transaction writes many (stop() cuts it short). */
  private linger(): Promise<void> {
    const ms = this.ctx.config.consumer.lingerMs;
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return this.sleeper.sleep(ms);
  }

  /** One batch from the queue. Resolves → acked; throws → left for redelivery. */
  async handle(messages: QueueMessage<unknown>[]): Promise<void> {
    const entries: { message: QueueMessage<unknown>; event: StoredEvent }[] = [];
    const dead: DeadLetterInput[] = [];
    for (const m of messages) {
      if (isStoredEvent(m.payload)) entries.push({ message: m, event: m.payload });
      // Only this plugin publishes on the topic, after validation: anything else is kept for an operator, not written.
      else
        dead.push(
          this.deadLetter(
            m,
            'malformed',
            'The message is not a behavior event (tenantId, messageId, type, timestamp, userId or anonymousId missing).',
          ),
        );
    }
    const end = this.metrics.batchDuration.startTimer();
    const retry = this.retryOptions();
    let outcomes: WriteOutcome[];
    try {
      const r = await writeIsolatingPoison(entries, (part) => this.writer.write(part.map((e) => e.event)), {
        tenantOf: (e) => e.event.tenantId,
        deliveriesOf: (e) => e.message.deliveries,
        retry,
      });
      outcomes = r.results;
      for (const p of r.poisoned)
        dead.push(
          this.deadLetter(p.item.message, deadLetterReason(p.error), errorText(p.error), p.item.event.tenantId),
        );
      if (dead.length) await retryTransientDb(() => this.deadLetters.add(dead), retry);
    } catch (err) {
      this.metrics.batches.inc({ outcome: 'error' });
      throw err;
    }
    if (dead.length) {
      this.metrics.batches.inc({ outcome: 'dead_letter' });
      this.ctx.logger.error('behavior events the database refused were kept as dead letters', {
        count: dead.length,
        reasons: [...new Set(dead.map((d) => d.reason))],
        tenants: [...new Set(dead.map((d) => d.tenantId))],
      });
    }
    for (const r of outcomes) {
      if (r.inserted) this.metrics.written.inc(r.inserted);
      if (r.duplicates) this.metrics.duplicates.inc(r.duplicates);
      if (r.droppedDeleted) this.metrics.dropped.inc(r.droppedDeleted);
    }
    this.metrics.batches.inc({ outcome: 'ok' });
    end();
    if (messages.length < this.ctx.config.consumer.batchSize) await this.linger();
  }

  private deadLetter(m: QueueMessage<unknown>, reason: string, error: string, tenantId?: string): DeadLetterInput {
    const payload = m.payload as { tenantId?: unknown } | null;
    const tenant =
      tenantId ??
      (payload && typeof payload === 'object' && typeof payload.tenantId === 'string' ? payload.tenantId : null);
    return { topic: EVENTS_TOPIC, group: GROUP, messageId: m.id, tenantId: tenant, reason, error, payload: m.payload };
  }

  /** Database outages are retried with backoff (events wait in the queue); a permanent failure is for the caller. */
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
          this.ctx.logger.warn('behavior database unavailable; events wait in the queue and are retried', { err });
      },
      onGiveUp: () => {},
      onResumed: () => this.ctx.logger.info('behavior event writes resumed'),
    };
  }
}

function errorText(err: unknown): string {
  const e = err as { message?: unknown; parent?: { code?: unknown } } | null;
  const code = e?.parent?.code ? ` [${String(e.parent.code)}]` : '';
  return `${String(e?.message ?? err)}${code}`;
}
