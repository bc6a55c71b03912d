import { metricForSeries, type MetricSpec } from './metricNames';
import type { RuleGroup } from './rules';

/** A PromQL query found in a dashboard: where it is and what it asks. */
export interface PanelQuery {
  dashboard: string;
  panelId: number | undefined;
  panel: string;
  refId: string;
  expr: string;
  exemplar: boolean;
}

interface JsonPanel {
  id?: number;
  type?: string;
  title?: string;
  panels?: JsonPanel[];
  targets?: { refId?: string; expr?: string; exemplar?: boolean }[];
}

interface JsonDashboard {
  uid?: string;
  panels?: JsonPanel[];
  templating?: { list?: { name?: string; type?: string; definition?: string; query?: unknown }[] };
}

/** Every panel of a dashboard JSON, rows' nested panels included (rows themselves excluded). */
export function panelsOf(dashboard: unknown): JsonPanel[] {
  const out: JsonPanel[] = [];
  const walk = (list: JsonPanel[] | undefined) => {
    for (const p of list ?? []) {
      if (p.type === 'row') walk(p.panels);
      else out.push(p);
    }
  };
  walk((dashboard as JsonDashboard).panels);
  return out;
}

/** Every Prometheus query of every panel of a dashboard JSON. */
export function dashboardQueries(dashboard: unknown): PanelQuery[] {
  const uid = (dashboard as JsonDashboard).uid ?? '?';
  return panelsOf(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      dashboard: uid,
      panelId: p.id,
      panel: p.title ?? '',
      refId: t.refId ?? '',
      expr: t.expr ?? '',
      exemplar: t.exemplar === true,
    })),
  );
}

/** Query variables of a dashboard as PromQL: `label_values(sel, label)` → `group by (label) (sel)`. */
export function variableQueries(dashboard: unknown): { name: string; expr: string }[] {
  const list = (dashboard as JsonDashboard).templating?.list ?? [];
  return list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const def = v.definition ?? '';
      const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(def);
      if (!m)
        throw new Error(
          `variable ${v.name}: unsupported query ${JSON.stringify(def)} (only label_values(selector, label))`,
        );
      return { name: v.name ?? '', expr: `group by (${m[2]}) (${m[1]})` };
    });
}

/** Every alerting rule expression. */
export function ruleQueries(groups: RuleGroup[]): { group: string; alert: string; expr: string }[] {
  return groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, alert: r.alert, expr: r.expr })));
}

/** Values for Grafana's built-in and dashboard variables when a query runs outside Grafana. */
export interface VariableValues {
  /** `$__rate_interval` (Grafana: max(4 × scrape interval, interval + scrape interval)). */
  rateInterval: string;
  /** `$__interval` */
  interval: string;
  /** `$__range` (the dashboard time range). */
  range: string;
  /** Dashboard variables by name (`$instance` → `.+` for All). */
  vars: Record<string, string>;
}

/** Replaces Grafana variables in a query so Prometheus can run it. Unknown variables throw. */
export function expandVariables(expr: string, values: VariableValues): string {
  const builtins: Record<string, string> = {
    __rate_interval: values.rateInterval,
    __interval: values.interval,
    __range: values.range,
  };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const v = builtins[name] ?? values.vars[name];
    if (v === undefined) throw new Error(`unknown Grafana variable ${whole} in ${expr}`);
    return v;
  });
}

/** Series names (metric names) a PromQL expression selects. Label values and names are ignored. */
export function seriesIn(expr: string): string[] {
  // Drop string literals (label values), matchers {…}, ranges […] and by/on/without label lists.
  const code = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out = new Set<string>();
  for (const m of code.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    // Followed by "(": a function or aggregation, not a series.
    if (m[2] || PROMQL_WORDS.has(m[1])) continue;
    out.add(m[1]);
  }
  return [...out];
}

/** The catalogue entries a PromQL expression reads, and the aihub_ series it names that are not in the catalogue. */
export function metricsIn(expr: string): { metrics: MetricSpec[]; unknown: string[]; other: string[] } {
  const metrics = new Set<MetricSpec>();
  const unknown: string[] = [];
  const other: string[] = [];
  for (const s of seriesIn(expr)) {
    const spec = metricForSeries(s);
    if (spec) metrics.add(spec);
    else if (s.startsWith('aihub_')) unknown.push(s);
    else other.push(s);
  }
  return { metrics: [...metrics], unknown, other };
}

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);
