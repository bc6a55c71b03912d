/**
 * The metric catalogue: every metric AI Hub's dashboards and alert rules read, with its type, labels,
 * help text and the part of AI Hub that emits it. Dashboards and rules build their PromQL from these
 * constants, and the tests check every query against this list and against a real gateway, so a
 * renamed metric fails a test instead of leaving an empty panel.
 */

/** Prometheus metric types used here. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Who emits the metric: the kernel or one plugin (by plugin name). */
export type MetricOwner = 'core' | 'auth' | 'ai' | 'rate-limit' | 'cache' | 'usage' | 'behavior' | 'ops';

/**
 * Kinds of traffic after which a metric's first series exists. A labelled counter or histogram has no
 * series until it is first incremented, so the dashboards check generates each kind before it requires
 * the metric to be exposed.
 */
export type TrafficKind =
  | 'http'
  | 'hook-error'
  | 'ai-request'
  | 'ai-stream'
  | 'ai-retry'
  | 'ai-fallback'
  | 'ai-breaker'
  | 'ai-experiment'
  | 'ai-unpriced'
  | 'ratelimit-decision'
  | 'ratelimit-store-error'
  | 'cache-lookup'
  | 'usage-record'
  | 'usage-duplicate'
  | 'budget-alert'
  | 'ops-decision'
  /** Not traffic as such: enough allocation for V8 to collect garbage once. */
  | 'gc';

/** One metric family as the gateway exposes it. */
export interface MetricSpec {
  /** Full name as scraped (counters end in `_total`; histograms are the family name without `_bucket`). */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly owner: MetricOwner;
  /** Set when the family has no series until this kind of traffic happened (labelled counters, mostly). */
  readonly appearsAfter?: TrafficKind;
}

function metric<const L extends readonly string[]>(spec: MetricSpec & { labels: L }): MetricSpec & { labels: L } {
  return spec;
}

/**
 * Every metric by a short key. Use `METRICS.httpRequests.name` in PromQL rather than a string literal.
 */
export const METRICS = {
  // ── core (kernel) ────────────────────────────────────────────────────────────────────────────────
  httpRequests: metric({
    name: 'aihub_http_requests_total',
    type: 'counter',
    help: 'HTTP requests answered by the gateway, by method, route pattern and status',
    labels: ['method', 'route', 'status'],
    owner: 'core',
    appearsAfter: 'http',
  }),
  httpDuration: metric({
    name: 'aihub_http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from request received to response finished, by method, route pattern and status (exemplars: trace_id)',
    labels: ['method', 'route', 'status'],
    owner: 'core',
    appearsAfter: 'http',
  }),
  httpInFlight: metric({
    name: 'aihub_http_requests_in_flight',
    type: 'gauge',
    help: 'Requests being served now',
    labels: [],
    owner: 'core',
  }),
  hookErrors: metric({
    name: 'aihub_plugin_hook_errors_total',
    type: 'counter',
    help: 'Errors thrown by plugin hooks (5xx or unexpected), by plugin and phase',
    labels: ['plugin', 'phase'],
    owner: 'core',
    appearsAfter: 'hook-error',
  }),
  processCpu: metric({
    name: 'aihub_process_cpu_seconds_total',
    type: 'counter',
    help: 'User and system CPU time spent, in seconds',
    labels: [],
    owner: 'core',
  }),
  processResidentMemory: metric({
    name: 'aihub_process_resident_memory_bytes',
    type: 'gauge',
    help: 'Resident memory size in bytes',
    labels: [],
    owner: 'core',
  }),
  processOpenFds: metric({
    name: 'aihub_process_open_fds',
    type: 'gauge',
    help: 'Number of open file descriptors',
    labels: [],
    owner: 'core',
  }),
  eventLoopLag: metric({
    name: 'aihub_nodejs_eventloop_lag_seconds',
    type: 'gauge',
    help: 'Lag of the event loop in seconds',
    labels: [],
    owner: 'core',
  }),
  eventLoopLagP99: metric({
    name: 'aihub_nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    help: 'The 99th percentile of the recorded event loop delays, in seconds',
    labels: [],
    owner: 'core',
  }),
  heapUsed: metric({
    name: 'aihub_nodejs_heap_size_used_bytes',
    type: 'gauge',
    help: 'V8 heap size used, in bytes',
    labels: [],
    owner: 'core',
  }),
  heapTotal: metric({
    name: 'aihub_nodejs_heap_size_total_bytes',
    type: 'gauge',
    help: 'V8 heap size, in bytes',
    labels: [],
    owner: 'core',
  }),
  gcDuration: metric({
    name: 'aihub_nodejs_gc_duration_seconds',
    type: 'histogram',
    help: 'Garbage collection duration by kind',
    labels: ['kind'],
    owner: 'core',
    appearsAfter: 'gc',
  }),

  dbPoolConnections: metric({
    name: 'aihub_db_pool_connections',
    type: 'gauge',
    help: 'Database pool connections by state (in_use | idle), read on scrape',
    labels: ['state'],
    owner: 'core',
  }),
  dbPoolWaiting: metric({
    name: 'aihub_db_pool_waiting',
    type: 'gauge',
    help: 'Callers waiting for a database connection (the pool is exhausted when above 0), read on scrape',
    labels: [],
    owner: 'core',
  }),
  dbPoolMax: metric({
    name: 'aihub_db_pool_max_connections',
    type: 'gauge',
    help: 'Largest number of database connections the pool opens (database.poolMax)',
    labels: [],
    owner: 'core',
  }),
  kvPing: metric({
    name: 'aihub_kv_ping_seconds',
    type: 'gauge',
    help: 'Round-trip time of one ping to the key-value store (Redis or in-process) measured on scrape, by store',
    labels: ['store'],
    owner: 'core',
  }),

  // ── auth ─────────────────────────────────────────────────────────────────────────────────────────
  authDecisions: metric({
    name: 'aihub_auth_decisions_total',
    type: 'counter',
    help: 'Authentication and authorization decisions by credential kind (api_key | jwt | none | any) and result (ok | invalid | expired | revoked | missing | insufficient_scope)',
    labels: ['method', 'result'],
    owner: 'auth',
  }),

  // ── ai ───────────────────────────────────────────────────────────────────────────────────────────
  aiRequests: metric({
    name: 'aihub_ai_requests_total',
    type: 'counter',
    help: 'AI requests (chat, completions, embeddings, …) by model, provider and status',
    labels: ['model', 'provider', 'status'],
    owner: 'ai',
    appearsAfter: 'ai-request',
  }),
  aiTokens: metric({
    name: 'aihub_ai_tokens_total',
    type: 'counter',
    help: 'Tokens processed by model, provider and type (prompt | completion | cached)',
    labels: ['model', 'provider', 'type'],
    owner: 'ai',
    appearsAfter: 'ai-request',
  }),
  aiCost: metric({
    name: 'aihub_ai_cost_usd_total',
    type: 'counter',
    help: 'Cost of AI requests in US dollars, by model and provider',
    labels: ['model', 'provider'],
    owner: 'ai',
    appearsAfter: 'ai-request',
  }),
  aiTimeToFirstToken: metric({
    name: 'aihub_ai_time_to_first_token_seconds',
    type: 'histogram',
    help: 'Time from request to the first streamed token, by model and provider',
    labels: ['model', 'provider'],
    owner: 'ai',
    appearsAfter: 'ai-stream',
  }),
  aiUpstreamDuration: metric({
    name: 'aihub_ai_upstream_duration_seconds',
    type: 'histogram',
    help: 'Duration of each call to a provider deployment, by provider, deployment and status',
    labels: ['provider', 'deployment', 'status'],
    owner: 'ai',
    appearsAfter: 'ai-request',
  }),
  aiRetries: metric({
    name: 'aihub_ai_retries_total',
    type: 'counter',
    help: 'Retries of provider calls, by deployment and reason',
    labels: ['deployment', 'reason'],
    owner: 'ai',
    appearsAfter: 'ai-retry',
  }),
  aiFallbacks: metric({
    name: 'aihub_ai_fallbacks_total',
    type: 'counter',
    help: 'Fallbacks from one deployment or model to another',
    labels: ['from', 'to'],
    owner: 'ai',
    appearsAfter: 'ai-fallback',
  }),
  circuitBreakerState: metric({
    name: 'aihub_circuit_breaker_state',
    type: 'gauge',
    help: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open (every deployment from start)',
    labels: ['deployment'],
    owner: 'ai',
  }),
  aiExperimentRequests: metric({
    name: 'aihub_ai_experiment_requests_total',
    type: 'counter',
    help: 'Requests routed by an experiment, by experiment, variant and status',
    labels: ['experiment', 'variant', 'status'],
    owner: 'ai',
    appearsAfter: 'ai-experiment',
  }),
  aiUnpriced: metric({
    name: 'aihub_ai_unpriced_requests_total',
    type: 'counter',
    help: 'Requests for models without a price (their cost is counted as 0)',
    labels: ['model'],
    owner: 'ai',
    appearsAfter: 'ai-unpriced',
  }),

  // ── rate-limit ───────────────────────────────────────────────────────────────────────────────────
  rateLimitDecisions: metric({
    name: 'aihub_ratelimit_decisions_total',
    type: 'counter',
    help: 'Rate-limit decisions by outcome (allowed | limited | error_open | error_closed), level and dimension',
    labels: ['outcome', 'level', 'dimension'],
    owner: 'rate-limit',
    appearsAfter: 'ratelimit-decision',
  }),
  rateLimitStoreErrors: metric({
    name: 'aihub_ratelimit_store_errors_total',
    type: 'counter',
    help: 'Rate-limit store (Redis) calls that failed, by operation (admit | settle | renew); the failure mode decides the outcome',
    labels: ['operation'],
    owner: 'rate-limit',
    appearsAfter: 'ratelimit-store-error',
  }),

  // ── cache ────────────────────────────────────────────────────────────────────────────────────────
  cacheRequests: metric({
    name: 'aihub_cache_requests_total',
    type: 'counter',
    help: 'Response cache lookups by layer (l1 in-process | l2 shared) and result (hit | miss | bypass)',
    labels: ['layer', 'result'],
    owner: 'cache',
    appearsAfter: 'cache-lookup',
  }),
  cacheBytes: metric({
    name: 'aihub_cache_bytes',
    type: 'gauge',
    help: 'Bytes held: l1 = the in-process LRU; l2 = live bytes this instance wrote to the shared layer',
    labels: ['layer'],
    owner: 'cache',
  }),

  // ── usage ────────────────────────────────────────────────────────────────────────────────────────
  usageRecordsWritten: metric({
    name: 'aihub_usage_records_written_total',
    type: 'counter',
    help: 'Usage records written to the database',
    labels: [],
    owner: 'usage',
  }),
  usageQueueLag: metric({
    name: 'aihub_usage_queue_lag',
    type: 'gauge',
    help: 'Usage events published but not yet written',
    labels: [],
    owner: 'usage',
  }),
  usageBatches: metric({
    name: 'aihub_usage_batches_total',
    type: 'counter',
    help: 'Usage batches processed, by outcome (ok | retry | error)',
    labels: ['outcome'],
    owner: 'usage',
    appearsAfter: 'usage-record',
  }),
  usageDuplicatesDropped: metric({
    name: 'aihub_usage_duplicates_dropped_total',
    type: 'counter',
    help: 'Redelivered usage events dropped as duplicates (at-least-once delivery)',
    labels: [],
    owner: 'usage',
  }),
  usageRecordsRejected: metric({
    name: 'aihub_usage_records_rejected_total',
    type: 'counter',
    help: 'Malformed usage records kept as dead letters instead of being written',
    labels: [],
    owner: 'usage',
  }),
  usageBatchDuration: metric({
    name: 'aihub_usage_batch_duration_seconds',
    type: 'histogram',
    help: 'Time to write one usage batch (transaction and counters)',
    labels: [],
    owner: 'usage',
  }),
  budgetAlerts: metric({
    name: 'aihub_budget_alerts_total',
    type: 'counter',
    help: 'Budget alerts fired, by level (tenant | team | key), period (daily | monthly) and kind (soft | hard)',
    labels: ['level', 'period', 'kind'],
    owner: 'usage',
    appearsAfter: 'budget-alert',
  }),

  // ── ops ──────────────────────────────────────────────────────────────────────────────────────────
  opsDecisions: metric({
    name: 'aihub_ops_decisions_total',
    type: 'counter',
    help: 'Automation decisions, by rule, action and outcome (acted, dry_run, capped, failed)',
    labels: ['rule', 'action', 'outcome'],
    owner: 'ops',
    appearsAfter: 'ops-decision',
  }),

  // ── behavior ─────────────────────────────────────────────────────────────────────────────────────
  behaviorEventsWritten: metric({
    name: 'aihub_behavior_events_written_total',
    type: 'counter',
    help: 'Behavior events written to the database (first time per message id)',
    labels: [],
    owner: 'behavior',
  }),
  behaviorQueueLag: metric({
    name: 'aihub_behavior_queue_lag',
    type: 'gauge',
    help: 'Behavior events accepted and not yet written by the behavior consumer group',
    labels: [],
    owner: 'behavior',
  }),
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** Every metric in the catalogue. */
export const METRIC_LIST: readonly MetricSpec[] = Object.values(METRICS);

const SERIES_SUFFIXES: Partial<Record<MetricType, readonly string[]>> = { histogram: ['_bucket', '_sum', '_count'] };

/** The series names a family exposes (`x_bucket`, `x_sum`, `x_count` for a histogram; the name otherwise). */
export function seriesNames(spec: MetricSpec): string[] {
  const suffixes = SERIES_SUFFIXES[spec.type];
  return suffixes ? suffixes.map((s) => spec.name + s) : [spec.name];
}

const bySeries = new Map<string, MetricSpec>(METRIC_LIST.flatMap((m) => seriesNames(m).map((s) => [s, m] as const)));

/** The catalogue entry for a series name (`aihub_http_request_duration_seconds_bucket` → its histogram). */
export function metricForSeries(series: string): MetricSpec | undefined {
  return bySeries.get(series);
}
