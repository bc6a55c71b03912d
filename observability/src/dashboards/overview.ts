import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, GATEWAY_JOB, q } from './common';

/**
 * Requests that are not the gateway's own plumbing: scrapes of /metrics and load-balancer health
 * probes would otherwise dominate the headline numbers of an idle gateway.
 */
export const API_ROUTES = 'route!~"/metrics|/health/.+"';
const ERRORS = 'status=~"5.."';

/** Gateway overview: traffic, errors, latency (with trace exemplars), overhead and the process. */
export function overviewDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-overview',
    'AI Hub / Overview',
    'Traffic, errors and latency of every AI Hub gateway, and the health of each process. Latency panels show exemplars: click a dot to open its trace in Jaeger.',
    ['gateway'],
  );

  d.row('Traffic')
    .stat({
      title: 'Requests/s',
      description: 'Requests answered per second by the selected gateways (without /metrics and /health probes).',
      unit: 'reqps',
      queries: [{ expr: q.sumRate(M.httpRequests, [], API_ROUTES) }],
    })
    .stat({
      title: '5xx ratio',
      description:
        'Share of requests answered with a 5xx status. Alert AihubHigh5xxRatio fires above 5% for 5 minutes.',
      unit: 'percentunit',
      queries: [{ expr: q.ratio(M.httpRequests, ERRORS) }],
      thresholds: [
        { value: 0.01, color: 'orange' },
        { value: 0.05, color: 'red' },
      ],
    })
    .stat({
      title: 'p95 latency',
      description:
        '95th percentile of request duration, streaming responses included (without /metrics and /health probes).',
      unit: 's',
      queries: [{ expr: q.quantile(0.95, M.httpDuration, [], API_ROUTES) }],
      thresholds: [
        { value: 1, color: 'orange' },
        { value: 5, color: 'red' },
      ],
    })
    .stat({
      title: 'Gateways up',
      description: `Gateway instances Prometheus scrapes successfully (job="${GATEWAY_JOB}").`,
      unit: 'short',
      queries: [{ expr: `sum(up{job="${GATEWAY_JOB}",instance=~"$instance"})` }],
    })
    .timeseries({
      title: 'Requests/s by route and status',
      description:
        'Request rate per route pattern and HTTP status. `unmatched` counts requests to unknown routes (404).',
      unit: 'reqps',
      stack: true,
      queries: [{ expr: q.sumRate(M.httpRequests, ['route', 'status']), legend: '{{route}} {{status}}' }],
    })
    .timeseries({
      title: 'Error ratio by route',
      description: 'Share of 5xx and 4xx responses per route pattern.',
      unit: 'percentunit',
      min: 0,
      queries: [
        { expr: q.ratio(M.httpRequests, ERRORS, ['route']), legend: '5xx {{route}}' },
        { expr: q.ratio(M.httpRequests, 'status=~"4.."', ['route']), legend: '4xx {{route}}' },
      ],
    });

  d.row('Latency')
    .timeseries({
      title: 'Latency p50 / p95 / p99',
      description:
        'Request duration percentiles over all API routes. The dots are exemplars: sampled requests with their trace id; click one and choose "Query with Jaeger" to see where the time went.',
      unit: 's',
      queries: [
        { expr: q.quantile(0.5, M.httpDuration, [], API_ROUTES), legend: 'p50' },
        { expr: q.quantile(0.95, M.httpDuration, [], API_ROUTES), legend: 'p95' },
        { expr: q.quantile(0.99, M.httpDuration, [], API_ROUTES), legend: 'p99', exemplar: true },
      ],
    })
    .timeseries({
      title: 'p95 latency by route',
      description: '95th percentile of request duration per route pattern (with exemplars).',
      unit: 's',
      queries: [{ expr: q.quantile(0.95, M.httpDuration, ['route'], API_ROUTES), legend: '{{route}}', exemplar: true }],
    })
    .timeseries({
      title: 'Gateway overhead per /v1 request (mean)',
      description:
        'Mean request duration minus time waiting for providers (to their answer; for streams, to their first event) on /v1 routes. Without streaming this is the time spent in the gateway itself; streamed responses add the time their stream flows, so compare it with the streaming share. Each response carries its own exact value in the x-aihub-overhead-ms header.',
      unit: 's',
      queries: [
        {
          expr:
            `(sum(${q.histogramRate(M.httpDuration, '_sum', 'route=~"/v1/.+"')}) - sum(${q.histogramRate(M.aiUpstreamDuration, '_sum')}))` +
            ` / sum(${q.histogramRate(M.httpDuration, '_count', 'route=~"/v1/.+"')})`,
          legend: 'overhead',
        },
      ],
    })
    .timeseries({
      title: 'Requests in flight',
      description: 'Requests being served right now, per gateway instance (streams included).',
      unit: 'short',
      min: 0,
      queries: [{ expr: `sum by (instance) (${q.sel(M.httpInFlight)})`, legend: '{{instance}}' }],
    });

  d.row('Access')
    .timeseries({
      title: 'Authentication results/s',
      description:
        'Credential checks by kind (api_key, jwt) and result. A rise of invalid or revoked keys is a misconfigured client or someone guessing; insufficient_scope is a key used for more than it may.',
      unit: 'short',
      stack: true,
      queries: [{ expr: q.sumRate(M.authDecisions, ['method', 'result']), legend: '{{method}} {{result}}' }],
    })
    .timeseries({
      title: 'Rejected credentials ratio',
      description: 'Share of credential checks that did not pass (anything but ok).',
      unit: 'percentunit',
      min: 0,
      queries: [{ expr: q.ratio(M.authDecisions, 'result!="ok"'), legend: 'rejected' }],
    });

  d.row('Process')
    .timeseries({
      title: 'Event loop lag',
      description:
        'How late the Node.js event loop runs timers. Sustained lag above 100 ms adds directly to every request.',
      unit: 's',
      width: 8,
      queries: [
        { expr: `max by (instance) (${q.sel(M.eventLoopLagP99)})`, legend: 'p99 {{instance}}' },
        { expr: `max by (instance) (${q.sel(M.eventLoopLag)})`, legend: 'now {{instance}}' },
      ],
    })
    .timeseries({
      title: 'Memory',
      description: 'Resident memory, and V8 heap used and allocated, per instance.',
      unit: 'bytes',
      width: 8,
      queries: [
        { expr: `sum by (instance) (${q.sel(M.processResidentMemory)})`, legend: 'rss {{instance}}' },
        { expr: `sum by (instance) (${q.sel(M.heapUsed)})`, legend: 'heap used {{instance}}' },
        { expr: `sum by (instance) (${q.sel(M.heapTotal)})`, legend: 'heap total {{instance}}' },
      ],
    })
    .timeseries({
      title: 'CPU',
      description: 'CPU time per second (1 = one core busy) per instance.',
      unit: 'percentunit',
      width: 8,
      queries: [{ expr: `sum by (instance) (${q.rate(M.processCpu)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Plugin hook errors/s',
      description:
        'Unexpected errors thrown by plugin hooks, by plugin and phase. Each is logged with its stack and the request id.',
      unit: 'short',
      width: 8,
      bars: true,
      queries: [{ expr: q.sumRate(M.hookErrors, ['plugin', 'phase']), legend: '{{plugin}} {{phase}}' }],
    })
    .timeseries({
      title: 'Open file descriptors',
      description:
        'Sockets and files held open per instance (connections to clients, providers, the database and Redis).',
      unit: 'short',
      width: 8,
      queries: [{ expr: `sum by (instance) (${q.sel(M.processOpenFds)})`, legend: '{{instance}}' }],
    })
    .timeseries({
      title: 'Garbage collection time',
      description: 'Seconds per second spent in garbage collection, by kind.',
      unit: 'percentunit',
      width: 8,
      queries: [{ expr: `sum by (kind) (${q.histogramRate(M.gcDuration, '_sum')})`, legend: '{{kind}}' }],
    });

  return d.build();
}
