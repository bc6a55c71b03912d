import { randomUUID } from 'node:crypto';
import type { PluginContext, QueueMessage, Subscription } from '@aihub/core/plugin-api';
import type { BehaviorConfig } from '../config';
import { InterruptibleSleep, retryTransientDb } from '@aihub/core/plugin-api';
import { EVENT_TYPES, type StoredEvent } from '../ingest/events';
import { EVENTS_TOPIC, type BehaviorMetrics } from '../metrics';
import type { EventWriter } from './EventWriter';

function isStoredEvent(p: unknown): p is StoredEvent {
  if (!p || typeof p !== 'object') return false;
  const e = p as Partial<StoredEvent>;
  return typeof e.tenantId === 'string' && typeof e.messageId === 'string' && typeof e.timestamp === 'string' && typeof e.receivedAt === 'string' && EVENT_TYPES.includes(e.type as never) && !!(e.userId || e.anonymousId);
}

/**
 * Reads `behavior.events` in batches and writes them (EventWriter), then acks. While the database is
 * unreachable the batch is retried with backoff and nothing is acked: events wait in the queue.
 */
export class EventConsumer {
  private subscription?: Subscription;
  private stopping = false;
  private readonly sleeper = new InterruptibleSleep();

  constructor(
    private readonly ctx: PluginContext<BehaviorConfig>,
    private readonly writer: EventWriter,
    private readonly metrics: BehaviorMetrics,
  ) {}

  start(): void {
    const c = this.ctx.config.consumer;
    this.subscription = this.ctx.queue.consume<unknown>(
      EVENTS_TOPIC,
      { group: 'behavior', consumer: `${process.pid}-${randomUUID().slice(0, 8)}`, batchSize: c.batchSize, blockMs: c.blockMs, claimIdleMs: c.claimIdleMs },
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

  async handle(messages: QueueMessage<unknown>[]): Promise<void> {
    const events: StoredEvent[] = [];
    let invalid = 0;
    for (const m of messages) {
      if (isStoredEvent(m.payload)) events.push(m.payload);
      else invalid++;
    }
    // Only this plugin publishes on the topic, after validation: anything else is not ours to keep.
    if (invalid) this.ctx.logger.error('dropped malformed messages on the behavior topic', { count: invalid });
    const end = this.metrics.batchDuration.startTimer();
    const { retryInitialMs, retryMaxMs } = this.ctx.config.consumer;
    const r = await retryTransientDb(() => this.writer.write(events), {
      initialMs: retryInitialMs,
      maxMs: retryMaxMs,
      sleeper: this.sleeper,
      stopping: () => this.stopping,
      onRetry: (err, first) => {
        this.metrics.batches.inc({ outcome: 'retry' });
        if (first) this.ctx.logger.warn('behavior database unavailable; events wait in the queue and are retried', { err });
      },
      onGiveUp: () => this.metrics.batches.inc({ outcome: 'error' }),
      onResumed: () => this.ctx.logger.info('behavior event writes resumed'),
    });
    if (r.inserted) this.metrics.written.inc(r.inserted);
    if (r.duplicates) this.metrics.duplicates.inc(r.duplicates);
    if (r.droppedDeleted) this.metrics.dropped.inc(r.droppedDeleted);
    this.metrics.batches.inc({ outcome: 'ok' });
    end();
    if (messages.length < this.ctx.config.consumer.batchSize) await this.linger();
  }
}
