import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS as M } from '../metricNames';
import { DashboardDraft, q, valueMapping } from './common';

/** Circuit breaker gauge values (aihub_circuit_breaker_state). */
export const BREAKER_STATES = [
  { value: 0, text: 'closed', color: 'green' },
  { value: 1, text: 'half-open', color: 'yellow' },
  { value: 2, text: 'open', color: 'red' },
];

/** AI traffic: requests, tokens, cost, latency to first token, providers, retries, fallbacks, breakers, experiments. */
export function aiDashboard(): Dashboard {
  const d = new DashboardDraft(
    'aihub-ai',
    'AI Hub / AI providers',
    'OpenAI-compatible traffic by model and provider: volume, tokens, cost, time to first token, upstream latency, retries, fallbacks, circuit breakers and experiments.',
    ['ai'],
  );

  d.row('Requests and cost')
    .stat({
      title: 'AI requests/s',
      description: 'AI requests per second across models and providers.',
      unit: 'reqps',
      queries: [{ expr: q.sumRate(M.aiRequests) }],
    })
    .stat({
      title: 'Tokens/s',
      description: 'Prompt + completion tokens per second.',
      unit: 'short',
      queries: [{ expr: q.sumRate(M.aiTokens, [], 'type=~"prompt|completion"') }],
    })
    .stat({
      title: 'Cost $/h',
      description: 'Spend rate in US dollars per hour at the current traffic.',
      unit: 'currencyUSD',
      queries: [{ expr: `${q.sumRate(M.aiCost)} * 3600` }],
    })
    .stat({
      title: 'Cost in range',
      description: 'US dollars spent over the dashboard time range.',
      unit: 'currencyUSD',
      queries: [{ expr: `sum(${q.increase(M.aiCost, '$__range')})` }],
    })
    .timeseries({
      title: 'Requests/s by model, provider and status',
      description: 'AI request rate by requested model, serving provider and outcome.',
      unit: 'reqps',
      stack: true,
      queries: [
        {
          expr: q.sumRate(M.aiRequests, ['model', 'provider', 'status']),
          legend: '{{model}} via {{provider}} ({{status}})',
        },
      ],
    })
    .timeseries({
      title: 'Tokens/s by type',
      description: 'Tokens per second: prompt, completion and cached (prompt tokens served from the provider cache).',
      unit: 'short',
      stack: true,
      queries: [{ expr: q.sumRate(M.aiTokens, ['type']), legend: '{{type}}' }],
    })
    .timeseries({
      title: 'Cost $/h by model',
      description: 'Spend rate per model in US dollars per hour.',
      unit: 'currencyUSD',
      stack: true,
      queries: [{ expr: `${q.sumRate(M.aiCost, ['model'])} * 3600`, legend: '{{model}}' }],
    })
    .timeseries({
      title: 'Unpriced requests/s by model',
      description:
        'Requests for models with no price in the catalogue: their cost is counted as 0 and budgets do not see them. Add a price.',
      unit: 'reqps',
      bars: true,
      queries: [{ expr: q.sumRate(M.aiUnpriced, ['model']), legend: '{{model}}' }],
    });

  d.row('Latency')
    .timeseries({
      title: 'Time to first token p50 / p95',
      description:
        'Streaming requests: time from request to the first token, by model. Click an exemplar dot to open the trace.',
      unit: 's',
      queries: [
        { expr: q.quantile(0.5, M.aiTimeToFirstToken, ['model']), legend: 'p50 {{model}}' },
        { expr: q.quantile(0.95, M.aiTimeToFirstToken, ['model']), legend: 'p95 {{model}}', exemplar: true },
      ],
    })
    .timeseries({
      title: 'Upstream latency p95 by deployment',
      description: 'Duration of each provider call (retries are separate calls), by provider and deployment.',
      unit: 's',
      queries: [
        {
          expr: q.quantile(0.95, M.aiUpstreamDuration, ['provider', 'deployment']),
          legend: '{{provider}}/{{deployment}}',
          exemplar: true,
        },
      ],
    })
    .timeseries({
      title: 'Upstream calls/s by deployment and status',
      description:
        'Provider calls per second by deployment and outcome; failing deployments show up here before their breaker opens.',
      unit: 'reqps',
      stack: true,
      queries: [
        {
          expr: `sum by (deployment, status) (${q.histogramRate(M.aiUpstreamDuration, '_count')})`,
          legend: '{{deployment}} {{status}}',
        },
      ],
    });

  d.row('Resilience')
    .timeseries({
      title: 'Retries/s',
      description: 'Retried provider calls by deployment and reason (timeout, 429, 5xx, connection error, …).',
      unit: 'short',
      bars: true,
      queries: [{ expr: q.sumRate(M.aiRetries, ['deployment', 'reason']), legend: '{{deployment}} {{reason}}' }],
    })
    .timeseries({
      title: 'Fallbacks/s',
      description: 'Requests that moved from one deployment or model to another after a failure.',
      unit: 'short',
      bars: true,
      queries: [{ expr: q.sumRate(M.aiFallbacks, ['from', 'to']), legend: '{{from}} → {{to}}' }],
    })
    .stateTimeline({
      title: 'Circuit breaker state',
      description:
        'Per deployment: closed (traffic flows), half-open (probing), open (skipped; requests fall back). Worst state across instances.',
      unit: 'short',
      queries: [{ expr: `max by (deployment) (${q.sel(M.circuitBreakerState)})`, legend: '{{deployment}}' }],
      mappings: [valueMapping(BREAKER_STATES)],
    })
    .timeseries({
      title: 'Automation decisions',
      description:
        "Decisions of the ops plugin's rules by rule, action and outcome: acted, dry_run (decided, not done), capped (over maxActions), failed. Reasons are at GET /admin/v1/ops/events.",
      unit: 'short',
      bars: true,
      width: 24,
      queries: [
        {
          expr: `sum by (rule, action, outcome) ${q.recentIncrease(M.opsDecisions, '$__rate_interval')}`,
          legend: '{{rule}} {{action}} {{outcome}}',
        },
      ],
    });

  d.row('Experiments').timeseries({
    title: 'Experiment requests/s by variant',
    description: 'Requests routed by each experiment to each variant, by outcome.',
    unit: 'reqps',
    width: 24,
    queries: [
      {
        expr: q.sumRate(M.aiExperimentRequests, ['experiment', 'variant', 'status']),
        legend: '{{experiment}}/{{variant}} {{status}}',
      },
    ],
  });

  return d.build();
}
