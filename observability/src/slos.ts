/**
 * Service level objectives and the multi-window, multi-burn-rate alerts generated from them
 * (Google SRE workbook, "Alerting on SLOs", alert 6).
 *
 * Why the SLOs live here, in the observability build config, and not in the gateway config: they are
 * evaluated by Prometheus over the metrics of every instance, never by a gateway, and the rule file must
 * be generated, checked in and unit-tested without starting one. Operators change an objective here and
 * run `npm run build:dashboards`; the drift test keeps the committed file in step.
 */
import { GATEWAY_JOB } from './dashboards/common';
import { METRICS as M } from './metricNames';
import { toYaml, type YamlValue } from './yaml';

/** Bucket bounds of aihub_http_request_duration_seconds (core/src/telemetry/createMetrics.ts). */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
] as const;

/** An SLO on the gateway's `/v1/*` answers. */
export interface Slo {
  /** Label value and alert-name stem: `availability` → `AihubSloAvailability…`. */
  name: string;
  kind: 'availability' | 'latency';
  /** Target share of good events over the SLO period, e.g. 0.999. */
  objective: number;
  /** latency only: a request is good when it finished within this many seconds (a histogram bucket bound). */
  thresholdSeconds?: number;
  description: string;
}

/**
 * The SLOs. Client errors (4xx) are neither good nor bad: a caller's bad request says nothing about
 * the gateway. The latency threshold is generous because `/v1/*` includes provider time (long
 * completions); the gateway's own time is watched by AihubHighLatencyP99 on the other routes.
 */
export const SLOS: readonly Slo[] = [
  {
    name: 'availability',
    kind: 'availability',
    objective: 0.999,
    description: '99.9% of /v1/* requests that are not client errors are answered without a 5xx status (30 days).',
  },
  {
    name: 'latency',
    kind: 'latency',
    objective: 0.99,
    thresholdSeconds: 30,
    description: '99% of /v1/* requests that are not client errors finish within 30 seconds (30 days).',
  },
];

/** A burn-rate alert: fires when both windows burn the error budget faster than `factor`. */
interface BurnWindow {
  factor: number;
  long: string;
  short: string;
}

/** The workbook's windows for a 30-day period: 2% of the budget in 1h, 5% in 6h → page; 10% in 3d → ticket. */
export const PAGE_WINDOWS: readonly BurnWindow[] = [
  { factor: 14.4, long: '1h', short: '5m' },
  { factor: 6, long: '6h', short: '30m' },
];
export const TICKET_WINDOWS: readonly BurnWindow[] = [{ factor: 1, long: '3d', short: '6h' }];

/** Every window a recording rule is needed for. */
export const SLO_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;

const JOB = `job="${GATEWAY_JOB}"`;
const V1 = 'route=~"/v1/.+"';
const NOT_CLIENT_ERROR = 'status!~"4.."';

/** Name of the recorded error ratio over a window: `aihub:slo_errors_per_request:ratio_rate1h`. */
export function ratioRecord(window: string): string {
  return `aihub:slo_errors_per_request:ratio_rate${window}`;
}

/** The bad-events / valid-events ratio of an SLO over a window, on raw metrics. */
export function errorRatioExpr(slo: Slo, window: string): string {
  const valid = `sum(rate(${M.httpRequests.name}{${JOB},${V1},${NOT_CLIENT_ERROR}}[${window}]))`;
  if (slo.kind === 'availability') {
    // Without any 5xx series the numerator is empty: `or 0 * valid` records 0 instead of nothing.
    return `(sum(rate(${M.httpRequests.name}{${JOB},${V1},status=~"5.."}[${window}])) or 0 * ${valid}) / ${valid}`;
  }
  const t = slo.thresholdSeconds;
  if (t === undefined || !(DURATION_BUCKETS as readonly number[]).includes(t)) {
    throw new Error(
      `SLO ${slo.name}: thresholdSeconds must be one of the duration buckets (${DURATION_BUCKETS.join(', ')}), got ${String(t)}`,
    );
  }
  const h = M.httpDuration.name;
  const fast = `sum(rate(${h}_bucket{${JOB},${V1},${NOT_CLIENT_ERROR},le="${t}"}[${window}]))`;
  const all = `sum(rate(${h}_count{${JOB},${V1},${NOT_CLIENT_ERROR}}[${window}]))`;
  return `1 - (${fast} or 0 * ${all}) / ${all}`;
}

function stem(slo: Slo): string {
  return `AihubSlo${slo.name[0].toUpperCase()}${slo.name.slice(1)}`;
}

/** Alert names generated for an SLO: the page and the ticket. */
export function sloAlertNames(slo: Slo): { page: string; ticket: string } {
  return { page: `${stem(slo)}BudgetBurnFast`, ticket: `${stem(slo)}BudgetBurnSlow` };
}

function burnExpr(slo: Slo, windows: readonly BurnWindow[]): string {
  const budget = 1 - slo.objective;
  const sel = `{slo="${slo.name}"}`;
  return windows
    .map((w) => {
      const limit = +(w.factor * budget).toPrecision(6);
      return `(${ratioRecord(w.long)}${sel} > ${limit} and ${ratioRecord(w.short)}${sel} > ${limit})`;
    })
    .join(' or ');
}

const RUNBOOK = 'docs/operations.md';

/** The rule file as a value: one group of recording rules and one of alerts per SLO. */
export function sloRulesDoc(slos: readonly Slo[] = SLOS, options: { annotations?: boolean } = {}): YamlValue {
  const groups: YamlValue[] = [];
  for (const slo of slos) {
    const pct = `${+(slo.objective * 100).toPrecision(6)}%`;
    groups.push({
      name: `aihub-slo-${slo.name}-recording`,
      rules: SLO_WINDOWS.map((w) => ({
        record: ratioRecord(w),
        expr: errorRatioExpr(slo, w),
        labels: { slo: slo.name },
      })),
    });
    const names = sloAlertNames(slo);
    const anchor = (alert: string) => `${RUNBOOK}#${alert.toLowerCase()}`;
    groups.push({
      name: `aihub-slo-${slo.name}-alerts`,
      rules: [
        {
          alert: names.page,
          expr: burnExpr(slo, PAGE_WINDOWS),
          for: '2m',
          labels: { severity: 'critical', slo: slo.name },
          annotations:
            options.annotations === false
              ? undefined
              : {
                  summary: `The ${slo.name} SLO (${pct}) burns its error budget fast`,
                  description: `${slo.description} At this rate the 30-day error budget is gone in days (14.4× over 1h and 5m, or 6× over 6h and 30m). Page.`,
                  runbook_url: anchor(names.page),
                  dashboard: '/d/aihub-overview',
                },
        },
        {
          alert: names.ticket,
          expr: burnExpr(slo, TICKET_WINDOWS),
          for: '15m',
          labels: { severity: 'warning', slo: slo.name },
          annotations:
            options.annotations === false
              ? undefined
              : {
                  summary: `The ${slo.name} SLO (${pct}) burns its error budget faster than it accrues`,
                  description: `${slo.description} Over 3 days and 6 hours the budget is spent faster than 1×: it runs out before the period ends. Ticket.`,
                  runbook_url: anchor(names.ticket),
                  dashboard: '/d/aihub-overview',
                },
        },
      ],
    });
  }
  return { groups };
}

/** The SLO rule file (docker/prometheus/rules/aihub-slo.rules.yml). */
export function renderSloRules(slos: readonly Slo[] = SLOS, options: { annotations?: boolean } = {}): string {
  return toYaml(
    sloRulesDoc(slos, options),
    'Generated by observability/src/build.ts from observability/src/slos.ts — do not edit; run `npm run build:dashboards`.',
  );
}
