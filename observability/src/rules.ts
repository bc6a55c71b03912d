import { GATEWAY_JOB } from './dashboards/common';
import { METRICS as M } from './metricNames';
import { PromQL, sumBy } from './promql';
import { toYaml, type YamlValue } from './yaml';

/** Severity label on every alert, for Alertmanager routing. */
export type Severity = 'critical' | 'warning' | 'info';

/** One Prometheus alerting rule. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires (Prometheus duration). */
  for?: string;
  severity: Severity;
  summary: string;
  description: string;
  /** uid of the dashboard to look at first. */
  dashboard: string;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

const JOB = `job="${GATEWAY_JOB}"`;
/** Rule PromQL: every selector scoped to the gateway job, 5-minute windows. */
const p = new PromQL({ scope: JOB, window: '5m' });
/** Routes whose latency is the provider's, not the gateway's (and scrapes/probes). */
const NOT_UPSTREAM_BOUND = 'route!~"/v1/.+|/metrics|/health/.+"';

/** AI Hub's alerting rules, grouped by area. */
export function alertRules(): RuleGroup[] {
  return [
    {
      name: 'aihub-gateway',
      rules: [
        {
          alert: 'AihubGatewayDown',
          expr: `up{${JOB}} == 0`,
          for: '2m',
          severity: 'critical',
          summary: 'Gateway {{ $labels.instance }} is down',
          description:
            'Prometheus cannot scrape {{ $labels.instance }} for 2 minutes. The load balancer should have taken it out; check the container logs and /health/ready.',
          dashboard: 'aihub-overview',
        },
        {
          alert: 'AihubNoGatewayUp',
          expr: `absent(up{${JOB}} == 1)`,
          for: '1m',
          severity: 'critical',
          summary: 'No AI Hub gateway is up',
          description: 'No gateway instance has been scraped successfully for a minute: the API is down for everyone.',
          dashboard: 'aihub-overview',
        },
        {
          alert: 'AihubHigh5xxRatio',
          expr:
            `${p.sumRate(M.httpRequests, ['job'], 'status=~"5.."')} / ${p.sumRate(M.httpRequests, ['job'])} > 0.05` +
            ` and ${p.sumRate(M.httpRequests, ['job'])} > 0.1`,
          for: '5m',
          severity: 'critical',
          summary: 'More than 5% of requests fail with 5xx',
          description:
            '{{ $value | humanizePercentage }} of requests were answered with a 5xx status over the last 5 minutes. The Overview dashboard shows which routes; logs carry the request ids.',
          dashboard: 'aihub-overview',
        },
        {
          alert: 'AihubHighLatencyP99',
          expr:
            `${p.quantile(0.99, M.httpDuration, ['route'], NOT_UPSTREAM_BOUND)} > 1` +
            ` and on (route) sum by (route) (${p.histogramRate(M.httpDuration, '_count', NOT_UPSTREAM_BOUND)}) > 0.05`,
          for: '10m',
          severity: 'warning',
          summary: 'p99 latency of {{ $labels.route }} is above 1s',
          description:
            'The 99th percentile of {{ $labels.route }} has been {{ $value | humanizeDuration }} for 10 minutes. These routes do not wait on AI providers, so the time is spent in the gateway or its database/Redis: open an exemplar trace from the latency panel.',
          dashboard: 'aihub-overview',
        },
        {
          alert: 'AihubPluginHookErrors',
          expr: `${p.sumRate(M.hookErrors, ['plugin', 'phase'])} > 0`,
          for: '5m',
          severity: 'warning',
          summary: 'Plugin {{ $labels.plugin }} keeps failing in {{ $labels.phase }}',
          description:
            'Hooks of {{ $labels.plugin }} threw unexpected errors in {{ $labels.phase }} for 5 minutes ({{ $value | humanize }}/s); the requests got 500. Each error is logged with its stack and request id.',
          dashboard: 'aihub-overview',
        },
        {
          alert: 'AihubEventLoopLag',
          expr: `max by (instance) (${p.sel(M.eventLoopLagP99)}) > 0.2`,
          for: '5m',
          severity: 'warning',
          summary: 'Event loop of {{ $labels.instance }} lags',
          description:
            'The p99 event loop delay of {{ $labels.instance }} is {{ $value | humanizeDuration }}: every request on it waits that long. Look for CPU saturation or synchronous work.',
          dashboard: 'aihub-overview',
        },
      ],
    },
    {
      name: 'aihub-saturation',
      rules: [
        {
          alert: 'AihubDbPoolExhausted',
          expr: `max by (instance) (${p.sel(M.dbPoolWaiting)}) > 0`,
          for: '10m',
          severity: 'warning',
          summary: 'Requests on {{ $labels.instance }} wait for database connections',
          description:
            'Every scrape for 10 minutes found callers waiting for a connection of the database pool of {{ $labels.instance }}: queries queue and latency grows. Raise database.poolMax (within max_connections) or find the slow queries.',
          dashboard: 'aihub-saturation',
        },
        {
          alert: 'AihubRedisSlow',
          expr: `max by (instance) (${p.sel(M.kvPing, 'store="redis"')}) > 0.05`,
          for: '10m',
          severity: 'warning',
          summary: 'Redis round trips from {{ $labels.instance }} are slow',
          description:
            'A PING from {{ $labels.instance }} to Redis has taken {{ $value | humanizeDuration }} for 10 minutes. Rate limits, caches and queues pay this on every call; check Redis CPU, memory and the network.',
          dashboard: 'aihub-saturation',
        },
      ],
    },
    {
      name: 'aihub-ai',
      rules: [
        {
          alert: 'AihubCircuitBreakerOpen',
          expr: `max by (deployment) (${p.sel(M.circuitBreakerState)}) == 2`,
          for: '1m',
          severity: 'warning',
          summary: 'Circuit breaker of {{ $labels.deployment }} is open',
          description:
            'Deployment {{ $labels.deployment }} failed often enough that requests skip it and fall back. Check the provider status and the Upstream panels.',
          dashboard: 'aihub-ai',
        },
        {
          alert: 'AihubSlowTimeToFirstToken',
          expr: `${p.quantile(0.95, M.aiTimeToFirstToken, ['model'])} > 10`,
          for: '10m',
          severity: 'warning',
          summary: 'Time to first token of {{ $labels.model }} is high',
          description:
            'The p95 time to first token of {{ $labels.model }} has been {{ $value | humanizeDuration }} for 10 minutes.',
          dashboard: 'aihub-ai',
        },
        {
          alert: 'AihubUnpricedModel',
          expr: `${sumBy(['model'])}(${p.recentIncrease(M.aiUnpriced, '15m')}) > 0`,
          severity: 'info',
          summary: 'Model {{ $labels.model }} has no price',
          description:
            'Requests for {{ $labels.model }} are served without a price: their cost counts as 0 and budgets do not see them. Add the model to the price catalogue.',
          dashboard: 'aihub-ai',
        },
      ],
    },
    {
      name: 'aihub-ops',
      rules: [
        {
          alert: 'AihubOpsActionsFailing',
          // recentIncrease: a rule's first failure creates its series at 1, which increase() alone misses.
          expr: `sum by (rule, action, outcome) (${p.recentIncrease(M.opsDecisions, '15m', 'outcome=~"failed|capped"')}) > 0`,
          severity: 'warning',
          summary: 'Automation rule {{ $labels.rule }} could not {{ $labels.action }} ({{ $labels.outcome }})',
          description:
            'The ops plugin decided to {{ $labels.action }} for rule {{ $labels.rule }} and the action {{ $labels.outcome }} in the last 15 minutes: the condition it reacts to is not being handled automatically. GET /admin/v1/ops/events?outcome={{ $labels.outcome }} shows the reason and the error.',
          dashboard: 'aihub-ai',
        },
      ],
    },
    {
      name: 'aihub-traffic-control',
      rules: [
        {
          alert: 'AihubRateLimitStoreErrors',
          expr: `sum by (instance) (${p.rate(M.rateLimitStoreErrors)}) > 0`,
          for: '2m',
          severity: 'warning',
          summary: 'Rate-limit store errors on {{ $labels.instance }}',
          description:
            'The rate limiter on {{ $labels.instance }} cannot reach its store (Redis): decisions follow the configured failure mode (see AihubRateLimitFailingOpen / FailingClosed).',
          dashboard: 'aihub-traffic-control',
        },
        {
          alert: 'AihubRateLimitFailingOpen',
          expr: `${p.sumRate(M.rateLimitDecisions, [], 'outcome="error_open"')} > 0`,
          for: '2m',
          severity: 'warning',
          summary: 'Rate limits are not enforced (failing open)',
          description:
            '{{ $value | humanize }} requests/s pass without a rate-limit check because the store fails. Quotas and spend limits are not enforced until it recovers.',
          dashboard: 'aihub-traffic-control',
        },
        {
          alert: 'AihubRateLimitFailingClosed',
          expr: `${p.sumRate(M.rateLimitDecisions, [], 'outcome="error_closed"')} > 0`,
          for: '1m',
          severity: 'critical',
          summary: 'Requests are rejected because the rate-limit store fails (failing closed)',
          description:
            '{{ $value | humanize }} requests/s are rejected because the rate-limit store fails; callers see errors they did not cause.',
          dashboard: 'aihub-traffic-control',
        },
      ],
    },
    {
      name: 'aihub-usage',
      rules: [
        {
          alert: 'AihubUsageQueueLagGrowing',
          expr: `${p.sel(M.usageQueueLag)} > 1000 and deriv(${p.sel(M.usageQueueLag)}[15m]) > 0`,
          for: '10m',
          severity: 'warning',
          summary: 'Usage queue lag keeps growing on {{ $labels.instance }}',
          description:
            'Usage events are published faster than they are written ({{ $value | humanize }} waiting and growing for 10 minutes). Usage, invoices and budgets fall behind; check the database and the usage writer.',
          dashboard: 'aihub-usage',
        },
        {
          alert: 'AihubUsageNotWritten',
          expr: `max(${p.sel(M.usageQueueLag)}) > 0 and ${sumBy([])}(rate(${p.sel(M.usageRecordsWritten)}[10m])) == 0`,
          for: '10m',
          severity: 'critical',
          summary: 'Usage events wait but none are written',
          description:
            'Usage events are queued but no record was written for 10 minutes: the usage writer is stuck or cannot write to the database.',
          dashboard: 'aihub-usage',
        },
        {
          alert: 'AihubUsageDeadLetters',
          expr: `sum(${p.increase(M.usageRecordsRejected, '15m')}) > 0`,
          severity: 'warning',
          summary: 'Malformed usage records were kept as dead letters',
          description:
            '{{ $value | humanize }} usage records in the last 15 minutes could not be written and were kept as dead letters: those requests are not billed until they are fixed and replayed.',
          dashboard: 'aihub-usage',
        },
        {
          alert: 'AihubBudgetAlert',
          expr: `${sumBy(['level', 'period', 'kind'])}(${p.recentIncrease(M.budgetAlerts, '10m')}) > 0`,
          severity: 'info',
          summary: 'A {{ $labels.level }} reached its {{ $labels.period }} {{ $labels.kind }} budget',
          description:
            'A {{ $labels.level }} budget reached its {{ $labels.period }} {{ $labels.kind }} limit ({{ $labels.kind }} = hard: its requests are refused until the period ends). The usage API and the webhook name which one.',
          dashboard: 'aihub-usage',
        },
      ],
    },
  ];
}

/**
 * The Prometheus rule file (docker/prometheus/rules/aihub.rules.yml). `annotations: false` leaves out
 * the annotations, for promtool unit tests that check when alerts fire and with which labels.
 */
export function renderRules(groups: RuleGroup[] = alertRules(), options: { annotations?: boolean } = {}): string {
  return toYaml(
    rulesDoc(groups, options),
    'Generated by observability/src/build.ts from observability/src/rules.ts — do not edit; run `npm run build:dashboards`.',
  );
}

/** The rule file as a value (what renderRules writes as YAML). */
export function rulesDoc(groups: RuleGroup[] = alertRules(), options: { annotations?: boolean } = {}): YamlValue {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      interval: g.interval,
      rules: g.rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        for: r.for,
        labels: { severity: r.severity },
        annotations:
          options.annotations === false
            ? undefined
            : { summary: r.summary, description: r.description, dashboard: `/d/${r.dashboard}` },
      })),
    })),
  };
}
