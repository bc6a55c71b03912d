import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, q } from './common';

/**
 * Saturation: how full each gateway instance is (the "S" of the USE/golden signals). Read it when
 * latency rises without errors: CPU, memory and GC, the event loop, and the queue between the
 * gateways and the usage writer.
 */
export function saturationDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-saturation',
    'AI Hub / Saturation',
    'Per-instance saturation: CPU, resident memory, V8 heap, garbage collection, event-loop lag, requests in flight, the database pool, Redis round trips and the usage queue lag.',
    ['saturation'],
  );

  d.row('CPU and event loop')
    .timeseries({
      title: 'CPU per instance',
      description:
        'CPU time per second (1 = one core busy). Node runs JavaScript on one core: near 1, requests queue on the event loop; the Kubernetes HPA scales on CPU.',
      unit: 'percentunit',
      width: 12,
      queries: [{ expr: `sum by (instance) (${q.rate(M.processCpu)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Event-loop lag p99 per instance',
      description:
        'The 99th percentile of event-loop delay: every request on the instance waits at least this long. Alert AihubEventLoopLag fires above 200 ms.',
      unit: 's',
      width: 12,
      queries: [
        { expr: `max by (instance) (${q.sel(M.eventLoopLagP99)})`, legend: 'p99 {{instance}}' },
        { expr: `max by (instance) (${q.sel(M.eventLoopLag)})`, legend: 'now {{instance}}' },
      ],
    })
    .timeseries({
      title: 'Requests in flight per instance',
      description:
        'Requests being served now; with streaming completions this grows with provider latency, not only with load.',
      unit: 'short',
      width: 12,
      queries: [{ expr: `sum by (instance) (${q.sel(M.httpInFlight)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Open file descriptors per instance',
      description: 'Sockets and files held open: client connections, provider connections, database and Redis.',
      unit: 'short',
      width: 12,
      queries: [{ expr: `sum by (instance) (${q.sel(M.processOpenFds)})`, legend: '{{instance}}' }],
    });

  d.row('Memory and GC')
    .timeseries({
      title: 'Resident memory per instance',
      description:
        'RSS: what the container memory limit counts. Compare with the pod limit (1 Gi in the Kubernetes base).',
      unit: 'bytes',
      width: 8,
      queries: [{ expr: `sum by (instance) (${q.sel(M.processResidentMemory)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'V8 heap per instance',
      description: 'Heap used and allocated; used close to allocated for long means more frequent major GCs.',
      unit: 'bytes',
      width: 8,
      queries: [
        { expr: `sum by (instance) (${q.sel(M.heapUsed)})`, legend: 'used {{instance}}' },
        { expr: `sum by (instance) (${q.sel(M.heapTotal)})`, legend: 'total {{instance}}' },
      ],
    })
    .timeseries({
      title: 'GC time per instance',
      description: 'Seconds per second spent in garbage collection (0.05 = 5% of the time), per instance and kind.',
      unit: 'percentunit',
      width: 8,
      queries: [
        { expr: `sum by (instance, kind) (${q.histogramRate(M.gcDuration, '_sum')})`, legend: '{{kind}} {{instance}}' },
      ],
    });

  d.row('Database and Redis')
    .timeseries({
      title: 'Database pool per instance',
      description:
        'Connections in use against the pool limit (database.poolMax). In use at the limit with callers waiting means requests queue for a connection: raise poolMax (within the database’s max_connections) or find the slow queries.',
      unit: 'short',
      width: 8,
      queries: [
        { expr: `sum by (instance) (${q.sel(M.dbPoolConnections, 'state="in_use"')})`, legend: 'in use {{instance}}' },
        { expr: `max by (instance) (${q.sel(M.dbPoolMax)})`, legend: 'max {{instance}}' },
      ],
    })
    .timeseries({
      title: 'Callers waiting for a database connection',
      description:
        'Above 0: the pool is exhausted on that instance and queries wait (SQLite: transactions queued behind the one running).',
      unit: 'short',
      width: 8,
      queries: [{ expr: `max by (instance) (${q.sel(M.dbPoolWaiting)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Redis round trip per instance',
      description:
        'Time of one PING to the key-value store, measured at each scrape (store="memory" for the in-process store). Rate limits, caches and queues pay this on every call.',
      unit: 's',
      width: 8,
      queries: [{ expr: `max by (instance, store) (${q.sel(M.kvPing)})`, legend: '{{store}} {{instance}}' }],
    });

  d.row('Queues')
    .timeseries({
      title: 'Usage queue lag per instance',
      description:
        'Usage events published but not yet written. Growing lag means the writer or the database cannot keep up (AihubUsageQueueLagGrowing).',
      unit: 'short',
      width: 12,
      queries: [{ expr: `max by (instance) (${q.sel(M.usageQueueLag)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Usage batch write time p95',
      description: 'Time to write one usage batch: rising with a growing lag points at the database.',
      unit: 's',
      width: 12,
      queries: [{ expr: q.quantile(0.95, M.usageBatchDuration, ['instance']), legend: '{{instance}}', exemplar: true }],
    });

  return d.build();
}
