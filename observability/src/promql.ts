import type { MetricSpec } from './metricNames';

/**
 * Small PromQL builders shared by dashboards and rules, so every query names its metric through the
 * catalogue (METRICS) and filters and windows are spelled one way everywhere.
 */

/** A label matcher list joined for a selector: `['a="x"', 'b=~"y"']` → `a="x",b=~"y"`. */
function matchers(list: readonly (string | undefined)[]): string {
  return list.filter((m): m is string => !!m).join(',');
}

/** Options shared by the builders below. */
export interface SelectorOptions {
  /** Matchers added to every selector, e.g. the dashboard's `instance=~"$instance"`. */
  scope?: string;
  /** The range used by rate()/increase(); dashboards use Grafana's `$__rate_interval`. */
  window: string;
}

/** Builds selectors and common expressions with one scope and window. */
export class PromQL {
  constructor(private readonly options: SelectorOptions) {}

  /** `name{scope,extra…}` for a series name (e.g. `spec.name` or `spec.name + '_bucket'`). */
  series(name: string, ...extra: string[]): string {
    const m = matchers([this.options.scope, ...extra]);
    return m ? `${name}{${m}}` : name;
  }

  /** The selector of a gauge or counter in the catalogue. */
  sel(spec: MetricSpec, ...extra: string[]): string {
    return this.series(spec.name, ...extra);
  }

  /** `rate(counter{…}[window])` */
  rate(spec: MetricSpec, ...extra: string[]): string {
    return `rate(${this.sel(spec, ...extra)}[${this.options.window}])`;
  }

  /** `increase(counter{…}[range])` */
  increase(spec: MetricSpec, range: string, ...extra: string[]): string {
    return `increase(${this.sel(spec, ...extra)}[${range}])`;
  }

  /**
   * Increments of a counter over `range`, counting series that were born inside the range. A labelled
   * counter has no series until its first increment and then appears at 1, so increase() misses that
   * first event (a budget alert fires once: it would never show). Series that existed `range` ago use
   * increase() (which handles restarts); newer ones count their whole value.
   */
  recentIncrease(spec: MetricSpec, range: string, ...extra: string[]): string {
    const sel = this.sel(spec, ...extra);
    return `((increase(${sel}[${range}]) and ${sel} offset ${range}) or ${sel})`;
  }

  /** `sum by (labels) (rate(counter{…}[window]))`; `sum(…)` without labels. */
  sumRate(spec: MetricSpec, by: readonly string[] = [], ...extra: string[]): string {
    return `${sumBy(by)}(${this.rate(spec, ...extra)})`;
  }

  /** Rate of a histogram's `_count`, `_sum` or `_bucket` series. */
  histogramRate(spec: MetricSpec, part: '_count' | '_sum' | '_bucket', ...extra: string[]): string {
    return `rate(${this.series(spec.name + part, ...extra)}[${this.options.window}])`;
  }

  /** `histogram_quantile(q, sum by (le, labels) (rate(x_bucket{…}[window])))` */
  quantile(q: number, spec: MetricSpec, by: readonly string[] = [], ...extra: string[]): string {
    return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (${this.histogramRate(spec, '_bucket', ...extra)}))`;
  }

  /**
   * Share of `where` among the events of a counter (all of them, or those matching `of`), by `by`.
   * Groups with events but none matching show 0 rather than disappearing (`or 0 * all`).
   */
  ratio(spec: MetricSpec, where: string, by: readonly string[] = [], of?: string): string {
    const part = this.sumRate(spec, by, where);
    const all = of ? this.sumRate(spec, by, of) : this.sumRate(spec, by);
    return `(${part} or 0 * ${all}) / ${all}`;
  }
}

/** `sum by (a, b) ` or `sum` */
export function sumBy(by: readonly string[]): string {
  return by.length ? `sum by (${by.join(', ')}) ` : 'sum';
}
