import type { PluginContext } from '@aihub/core/plugin-api';
import { USAGE_TOPIC } from '@aihub/core/plugin-api';

/** The usage plugin's metrics (names get the `aihub_` prefix from the plugin meter). */
export function createUsageMetrics(ctx: PluginContext, group: string) {
  const meter = ctx.meter;
  const lag = meter.gauge(
    'usage_queue_lag',
    'Usage records published and not yet written (acked) by the usage consumer group',
    [],
    async () => {
      try {
        lag.set(await ctx.queue.lag(USAGE_TOPIC, group));
      } catch {
        // The queue backend is unreachable: leave the last value rather than fail the scrape.
      }
    },
  );
  return {
    written: meter.counter(
      'usage_records_written_total',
      'Usage rows written to the database (first time per request id)',
    ),
    duplicates: meter.counter(
      'usage_duplicates_dropped_total',
      'Usage records dropped because their request id was already stored (redelivery)',
    ),
    batches: meter.counter('usage_batches_total', 'Usage batches processed, by outcome (ok, retry, error)', [
      'outcome',
    ] as const),
    batchDuration: meter.histogram(
      'usage_batch_duration_seconds',
      'Time to write one usage batch (transaction and counters)',
      [],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
    rejected: meter.counter(
      'usage_records_rejected_total',
      'Usage records kept as dead letters (malformed, or refused by the database) instead of being written',
    ),
    sanitized: meter.counter(
      'usage_records_sanitized_total',
      'Usage records stored with characters the database refuses (NUL, lone surrogates) replaced by U+FFFD',
    ),
    redated: meter.counter(
      'usage_records_redated_total',
      'Usage records whose time the database cannot store (e.g. year 10000) billed at the time the consumer read them',
    ),
    clamped: meter.counter(
      'usage_records_clamped_total',
      "Usage records with a figure beyond what its column holds (tokens, cost, latency), billed with the column's largest value instead",
    ),
    interrupted: meter.counter(
      'usage_interrupted_total',
      'Requests billed from their write-ahead record because no final record came (the gateway died mid-request)',
    ),
    replaced: meter.counter(
      'usage_interrupted_replaced_total',
      'Interrupted rows replaced by a final record that came late',
    ),
    writeAheadFailures: meter.counter(
      'usage_write_ahead_failures_total',
      'Pending (write-ahead) usage records that could not be written before the upstream call',
    ),
    pending: meter.counter('usage_pending_records_total', 'Write-ahead records parked until their final record comes'),
    lag,
    alerts: meter.counter(
      'budget_alerts_total',
      'Budget alerts fired, by level (tenant, team, key), period (daily, monthly) and kind (soft, hard)',
      ['level', 'period', 'kind'] as const,
    ),
    refusals: meter.counter(
      'usage_refusals_recorded_total',
      'Requests refused before an AI call was prepared (validation, model, scope, rate limit, budget) recorded as usage, by HTTP status',
      ['status'] as const,
    ),
    rejections: meter.counter(
      'budget_rejections_total',
      'Requests refused because a hard budget was spent, by level and period',
      ['level', 'period'] as const,
    ),
    webhook: meter.counter(
      'budget_webhook_deliveries_total',
      'Budget alert webhook attempts, by outcome (delivered, retry, failed)',
      ['outcome'] as const,
    ),
    reconciles: meter.counter(
      'usage_spend_reconciles_total',
      'Times spend counters were recomputed from the database, by reason',
      ['reason'] as const,
    ),
  };
}

export type UsageMetrics = ReturnType<typeof createUsageMetrics>;
