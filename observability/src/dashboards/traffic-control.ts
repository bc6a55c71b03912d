import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, q } from './common';

/** Rate limiting and the response cache. */
export function trafficControlDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-traffic-control',
    'AI Hub / Rate limits and cache',
    'Rate-limit decisions (and whether the limiter is failing open or closed because its store is down), and the response cache by layer.',
    ['rate-limit', 'cache'],
  );

  d.row('Rate limits')
    .stat({
      title: 'Limited',
      description: 'Share of rate-limit decisions that rejected the request (429).',
      unit: 'percentunit',
      queries: [{ expr: q.ratio(M.rateLimitDecisions, 'outcome="limited"') }],
      thresholds: [
        { value: 0.05, color: 'orange' },
        { value: 0.2, color: 'red' },
      ],
    })
    .stat({
      title: 'Failing open',
      description:
        'Share of decisions let through without a check because the store failed (error_open). Anything above 0 means limits are not enforced.',
      unit: 'percentunit',
      queries: [{ expr: q.ratio(M.rateLimitDecisions, 'outcome="error_open"') }],
      thresholds: [{ value: 0.000001, color: 'red' }],
    })
    .stat({
      title: 'Failing closed',
      description:
        'Share of decisions rejected because the store failed (error_closed): callers get errors they did not cause.',
      unit: 'percentunit',
      queries: [{ expr: q.ratio(M.rateLimitDecisions, 'outcome="error_closed"') }],
      thresholds: [{ value: 0.000001, color: 'red' }],
    })
    .stat({
      title: 'Store errors/s',
      description:
        'Errors talking to the rate-limit store (Redis). Alert AihubRateLimitStoreErrors fires while this is above 0.',
      unit: 'short',
      queries: [{ expr: q.sumRate(M.rateLimitStoreErrors) }],
      thresholds: [{ value: 0.000001, color: 'red' }],
    })
    .timeseries({
      title: 'Decisions/s by outcome',
      description: 'allowed, limited, error_open (store failed, let through), error_closed (store failed, rejected).',
      unit: 'short',
      stack: true,
      queries: [{ expr: q.sumRate(M.rateLimitDecisions, ['outcome']), legend: '{{outcome}}' }],
    })
    .timeseries({
      title: 'Decisions/s by level and dimension',
      description:
        'Which limit decided: level (global, tenant, key, user, …) and dimension (requests, tokens, concurrency), by outcome.',
      unit: 'short',
      queries: [
        {
          expr: q.sumRate(M.rateLimitDecisions, ['level', 'dimension', 'outcome']),
          legend: '{{level}}/{{dimension}} {{outcome}}',
        },
      ],
    })
    .timeseries({
      title: 'Rate-limit store errors/s by instance',
      description:
        'Store errors per gateway instance: one instance alone usually means its connection, all of them the store.',
      unit: 'short',
      bars: true,
      width: 24,
      queries: [{ expr: `sum by (instance) (${q.rate(M.rateLimitStoreErrors)})`, legend: '{{instance}}' }],
    });

  d.row('Cache')
    .timeseries({
      title: 'Hit ratio by layer',
      description:
        'Share of eligible lookups (hits and misses; bypassed requests are not eligible) answered from each layer: l1 = in-process LRU, l2 = shared Redis layer (looked up after an l1 miss).',
      unit: 'percentunit',
      min: 0,
      queries: [
        { expr: q.ratio(M.cacheRequests, 'result="hit"', ['layer'], 'result=~"hit|miss"'), legend: '{{layer}}' },
      ],
    })
    .timeseries({
      title: 'Lookups/s by layer and result',
      description:
        'Cache lookups per second by layer and result; bypass = the request was not eligible (e.g. temperature > 0 in deterministic mode, or Cache-Control: no-cache).',
      unit: 'short',
      stack: true,
      queries: [{ expr: q.sumRate(M.cacheRequests, ['layer', 'result']), legend: '{{layer}} {{result}}' }],
    })
    .stat({
      title: 'Shared cache size',
      description: 'Live bytes in the shared (l2) layer: the sum of what each instance wrote and has not expired.',
      unit: 'bytes',
      width: 8,
      queries: [{ expr: `sum(${q.sel(M.cacheBytes, 'layer="l2"')})` }],
    })
    .timeseries({
      title: 'Cache size by layer',
      description:
        'Bytes held per layer and instance: l1 = the in-process LRU; l2 = live bytes this instance wrote to the shared layer (the sum over instances is the shared layer’s size).',
      unit: 'bytes',
      width: 16,
      queries: [{ expr: `sum by (layer, instance) (${q.sel(M.cacheBytes)})`, legend: '{{layer}} {{instance}}' }],
    });

  return d.build();
}
