import type { PluginContext } from '@aihub/core/plugin-api';

export const EVENTS_TOPIC = 'behavior.events';

/** The behavior plugin's metrics (prefixed `aihub_` by the plugin meter). */
export function createBehaviorMetrics(ctx: PluginContext) {
  const meter = ctx.meter;
  const lag = meter.gauge(
    'behavior_queue_lag',
    'Behavior events accepted and not yet written by the behavior consumer group',
    [],
    async () => {
      try {
        lag.set(await ctx.queue.lag(EVENTS_TOPIC, 'behavior'));
      } catch {
        // Queue backend unreachable: keep the last value.
      }
    },
  );
  return {
    received: meter.counter(
      'behavior_events_received_total',
      'Events received by the ingestion API, by type and outcome (accepted, rejected)',
      ['type', 'outcome'] as const,
    ),
    written: meter.counter(
      'behavior_events_written_total',
      'Events written to the database (first time per message id)',
    ),
    duplicates: meter.counter(
      'behavior_duplicates_dropped_total',
      'Events dropped because their (tenant, messageId) was already stored',
    ),
    dropped: meter.counter(
      'behavior_deleted_user_events_dropped_total',
      'Queued events dropped because their user was deleted after they were sent',
    ),
    batches: meter.counter(
      'behavior_batches_total',
      'Event batches processed by the consumer, by outcome (ok, retry, error, dead_letter)',
      ['outcome'] as const,
    ),
    batchDuration: meter.histogram(
      'behavior_batch_duration_seconds',
      'Time to write one batch of events and profiles',
      [],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    retentionDeleted: meter.counter('behavior_retention_deleted_total', 'Events deleted by the retention job'),
    usersDeleted: meter.counter('behavior_users_deleted_total', 'Users deleted through the API'),
    lag,
  };
}

export type BehaviorMetrics = ReturnType<typeof createBehaviorMetrics>;
