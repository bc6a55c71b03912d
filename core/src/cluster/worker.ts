import diagnostics from 'node:diagnostics_channel';
import type { Counter } from 'prom-client';
import { renderRegistry, type GatewayMetrics } from '../telemetry/createMetrics';
import { aggregateWorkers, type MetricJson } from './aggregate';
import { isClusterMessage, WORKER_SLOT_ENV, type ClusterMessage } from './messages';

/** How long a scrape waits for the primary's answer before rendering this worker's metrics alone. */
const SCRAPE_TIMEOUT_MS = 5_000;

/**
 * Makes a started kernel a cluster worker: `/metrics` (on the API port and on the metrics port)
 * answers for the whole cluster, the primary can collect this worker's metrics and ask it to drain,
 * and the primary learns that this worker is up.
 */
export function joinCluster(metrics: GatewayMetrics, drain: (signal: string) => void): void {
  const send = (m: ClusterMessage) => process.send?.(m);
  const slot = process.env[WORKER_SLOT_ENV] ?? String(process.pid);
  countConnections(metrics);

  let next = 0;
  const pending = new Map<number, (workers: Parameters<typeof aggregateWorkers>[0] | undefined) => void>();
  process.on('message', (m: unknown) => {
    if (!isClusterMessage(m)) return;
    if (m.aihub === 'collect') {
      metrics.registry.getMetricsAsJSON().then(
        (own) => send({ aihub: 'collected', id: m.id, metrics: own as unknown as MetricJson[] }),
        () => send({ aihub: 'collected', id: m.id, metrics: [] }),
      );
    } else if (m.aihub === 'metrics') {
      pending.get(m.id)?.(m.workers);
      pending.delete(m.id);
    } else if (m.aihub === 'shutdown') {
      drain(m.signal);
    }
  });

  metrics.render = async (accept) => {
    const id = ++next;
    const workers = await new Promise<Parameters<typeof aggregateWorkers>[0] | undefined>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(undefined);
      }, SCRAPE_TIMEOUT_MS);
      pending.set(id, (w) => {
        clearTimeout(timer);
        resolve(w);
      });
      send({ aihub: 'metrics?', id });
    });
    // Without the primary's answer (it is gone or stuck) this worker's own series still tell something.
    const all = workers ?? [
      { worker: slot, metrics: (await metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[] },
    ];
    return renderRegistry(aggregateWorkers(all), accept);
  };
  send({ aihub: 'ready' });
}

/**
 * `aihub_cluster_worker_connections_total`: connections this worker accepted. Kept per worker in the
 * aggregate, so an uneven spread across workers shows. Counted from Node's `net.server.socket`
 * channel: once per connection, nothing per request.
 */
function countConnections(metrics: GatewayMetrics): void {
  const counter = metrics
    .meterFor('core')
    .counter(
      'cluster_worker_connections_total',
      'Connections accepted by each worker of the cluster',
    ) as Counter<string>;
  counter.inc(0);
  diagnostics.subscribe('net.server.socket', () => counter.inc());
}
