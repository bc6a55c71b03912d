import type { PluginMeter } from '@aihub/core/plugin-api';

/** Seconds buckets for time to first token and upstream calls (LLM latencies: 50 ms to minutes). */
const LLM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/**
 * The ai plugin's Prometheus metrics (names are fixed: dashboards and alerts depend on them). The
 * `model` label is the alias clients request (bounded by config), never a raw client string.
 * Histograms of the plugin meter carry exemplars, so prom-client only accepts the object form
 * `observe({ labels, value })`.
 */
export function createAiMetrics(meter: PluginMeter) {
  return {
    requests: meter.counter(
      'ai_requests_total',
      'AI requests finished, by model alias, provider and status (success, error, cancelled)',
      ['model', 'provider', 'status'] as const,
    ),
    tokens: meter.counter(
      'ai_tokens_total',
      'Tokens used, by model alias, provider and type (prompt, completion, cached)',
      ['model', 'provider', 'type'] as const,
    ),
    cost: meter.counter('ai_cost_usd_total', 'Cost in USD of priced requests, by model alias and provider', [
      'model',
      'provider',
    ] as const),
    ttft: meter.histogram(
      'ai_time_to_first_token_seconds',
      'Streaming: time from request start to the first content token',
      ['model', 'provider'] as const,
      LLM_BUCKETS,
    ),
    upstream: meter.histogram(
      'ai_upstream_duration_seconds',
      'One upstream attempt: time to the answer (streams: to the first event), by provider, deployment and status (HTTP status, timeout, connection, cancelled)',
      ['provider', 'deployment', 'status'] as const,
      LLM_BUCKETS,
    ),
    retries: meter.counter(
      'ai_retries_total',
      'Upstream attempts retried on the same deployment, by reason (429, 5xx, timeout, connection, stream_error)',
      ['deployment', 'reason'] as const,
    ),
    fallbacks: meter.counter(
      'ai_fallbacks_total',
      'Requests moved from one deployment to another before the first byte',
      ['from', 'to'] as const,
    ),
    breakerState: meter.gauge(
      'circuit_breaker_state',
      'Circuit breaker per deployment: 0 closed, 1 half-open, 2 open',
      ['deployment'] as const,
    ),
    unpriced: meter.counter(
      'ai_unpriced_requests_total',
      'Requests on a model without a price (cost unknown, recorded as null, never as zero)',
      ['model'] as const,
    ),
    experimentRequests: meter.counter(
      'ai_experiment_requests_total',
      'Requests in an A/B experiment, by experiment, variant and status',
      ['experiment', 'variant', 'status'] as const,
    ),
    experimentLatency: meter.histogram(
      'ai_experiment_latency_seconds',
      'Request latency per experiment variant',
      ['experiment', 'variant'] as const,
      LLM_BUCKETS,
    ),
    experimentTokens: meter.counter(
      'ai_experiment_tokens_total',
      'Tokens per experiment variant and type (prompt, completion)',
      ['experiment', 'variant', 'type'] as const,
    ),
    experimentCost: meter.counter('ai_experiment_cost_usd_total', 'Cost in USD per experiment variant', [
      'experiment',
      'variant',
    ] as const),
    feedback: meter.counter('ai_experiment_feedback_total', 'Feedback received per experiment variant', [
      'experiment',
      'variant',
    ] as const),
    // A gauge: scores may be negative (thumbs down), which a counter cannot add.
    feedbackScore: meter.gauge(
      'ai_experiment_feedback_score_sum',
      'Sum of feedback scores per experiment variant (divide by ai_experiment_feedback_total for the mean)',
      ['experiment', 'variant'] as const,
    ),
  };
}

export type AiMetrics = ReturnType<typeof createAiMetrics>;
