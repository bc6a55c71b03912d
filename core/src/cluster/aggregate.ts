import { AggregatorRegistry, Registry } from 'prom-client';

/** One metric family as `registry.getMetricsAsJSON()` gives it (and as it crosses the IPC channel). */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** One process's metrics as `registry.getMetricsAsJSON()` gives them, and which worker it is. */
export interface WorkerMetrics {
  /** The worker's slot (1…N; a replacement keeps the slot of the worker it replaces), or `primary`. */
  worker: string;
  metrics: MetricJson[];
}

/**
 * Metrics whose series stay per worker even though they are counters: they exist to compare the
 * workers (is the kernel spreading connections evenly?), which a sum would hide.
 */
const PER_WORKER_PREFIX = 'aihub_cluster_worker_';

/**
 * Merges the workers' metrics into one registry for `/metrics`:
 * - counters are summed, series by series (the same labels on every worker add up);
 * - histograms are merged by summing each bucket, `_sum` and `_count`, which is exact because every
 *   worker uses the same bucket bounds;
 * - gauges keep one series per worker with a `worker` label, because no single rule fits them all
 *   (in-flight requests add up, event-loop lag or a breaker's state do not): sum or max them in
 *   PromQL as the gauge means;
 * - `aihub_cluster_worker_*` series are per worker by design.
 * The primary's own series (worker `primary`) are taken as they are.
 */
export function aggregateWorkers(
  perWorker: WorkerMetrics[],
  contentType: string = Registry.OPENMETRICS_CONTENT_TYPE,
): Registry {
  const labelled = perWorker.map(({ worker, metrics }) =>
    metrics.map((raw) => {
      // OpenMetrics names a counter family without `_total` and adds it to each sample; the JSON
      // carries the sample name, which the merged registry would suffix a second time.
      const m = raw.type === 'counter' ? { ...raw, name: raw.name.replace(/_total$/, '') } : raw;
      const perWorker = worker !== 'primary' && (m.type === 'gauge' || m.name.startsWith(PER_WORKER_PREFIX));
      // `sum` over series that differ by their worker label keeps each of them as it is.
      if (!perWorker) return { ...m, aggregator: 'sum' as const };
      return {
        ...m,
        aggregator: 'sum' as const,
        values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker } })),
      };
    }),
  );
  const registry = AggregatorRegistry.aggregate(labelled as never) as unknown as Registry;
  registry.setContentType(contentType as never);
  return registry;
}
