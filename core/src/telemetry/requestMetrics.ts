import type { Registry } from 'prom-client';

/**
 * The gateway's per-request HTTP metrics, kept off prom-client's generic label path.
 *
 * Every request updates three series (requests, duration, overhead). prom-client's `inc`/`observe`
 * validate and hash the label object on every call, which costs more than everything else the
 * kernel does for a small request. Here a request finds its series with one Map lookup on a string
 * key and updates plain numbers; the registry reads the series at scrape time through collectors
 * that render exactly the families prom-client would (same names, labels, buckets and exemplars).
 * The label set per series is bounded: method, route pattern (never the raw path), status, and the
 * tenant only when `metrics.tenantLabels` is on.
 */

type Labels = Record<string, string | number>;

interface Exemplar {
  labelSet: Labels;
  value: number;
  timestamp: number;
}

/** One histogram series: per-bucket (non-cumulative) counts, the +Inf overflow, sum and count. */
export class HistogramSeries {
  /** counts[i] for upperBounds[i]; counts[upperBounds.length] for observations above every bound. */
  readonly counts: Float64Array;
  readonly exemplars: (Exemplar | undefined)[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
    this.exemplars = new Array<Exemplar | undefined>(upperBounds.length + 1);
  }

  /** Records one observation; `traceId` (sampled requests only) becomes the bucket's exemplar. */
  observe(value: number, traceId?: string): void {
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
    if (traceId) this.exemplars[i] = { labelSet: { trace_id: traceId }, value, timestamp: Date.now() / 1000 };
  }
}

/** What prom-client's Registry reads from a metric at scrape time. */
interface MetricValue {
  labels: Labels;
  sharedLabels?: Labels;
  value: number;
  metricName?: string;
  exemplar?: Exemplar | null;
}

interface Collected {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

/** A metric the Registry can hold: the same surface its own Counter/Histogram expose to it. */
abstract class CollectedMetric {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;

  constructor(
    /** Mutable: the Registry strips a counter's `_total` in OpenMetrics mode. */
    public name: string,
    readonly help: string,
  ) {}

  protected abstract values(): MetricValue[];

  getForPromString(): Collected {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: this.aggregator };
  }

  /** The JSON form (`registry.getMetricsAsJSON()`): shared labels merged into each value's labels. */
  get(): Collected {
    const data = this.getForPromString();
    data.values = data.values.map((v) => ({
      ...v,
      labels: { ...v.sharedLabels, ...v.labels },
      sharedLabels: undefined,
    }));
    return data;
  }
}

/** A histogram family whose series the owner holds directly (see {@link RequestMetrics}). */
export class HistogramFamily extends CollectedMetric {
  readonly type = 'histogram' as const;
  readonly series: HistogramSeries[] = [];

  constructor(
    name: string,
    help: string,
    readonly upperBounds: readonly number[],
  ) {
    super(name, help);
  }

  add(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.upperBounds);
    this.series.push(s);
    return s;
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series) {
      let acc = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        acc += s.counts[i];
        out.push({
          labels: { le: this.upperBounds[i] },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucket,
          exemplar: s.exemplars[i] ?? null,
        });
      }
      out.push({
        labels: { le: '+Inf' },
        sharedLabels: s.labels,
        value: s.count,
        metricName: bucket,
        exemplar: s.exemplars[this.upperBounds.length] ?? null,
      });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}

/** A counter that reads its values from histogram series' counts (requests = duration observations). */
class CountOf extends CollectedMetric {
  readonly type = 'counter' as const;

  constructor(
    name: string,
    help: string,
    private readonly family: HistogramFamily,
  ) {
    super(name, help);
  }

  protected values(): MetricValue[] {
    return this.family.series.map((s) => ({ labels: s.labels, value: s.count }));
  }
}

interface RouteSeries {
  duration: HistogramSeries;
  /** Shared by every method/status of the route (the overhead family is labelled by route only). */
  overhead: HistogramSeries | undefined;
}

/** The three request metrics, updated once per request from the gateway's outer middleware. */
export class RequestMetrics {
  private readonly duration: HistogramFamily;
  private readonly overhead: HistogramFamily;
  /** route → method → status → tenant ('' without tenant labels): lookups on values the request already holds. */
  private readonly byRoute = new Map<string, Map<string, Map<number, Map<string, RouteSeries>>>>();
  private readonly overheadByRoute = new Map<string, HistogramSeries>();

  constructor(registry: Registry, durationBuckets: readonly number[], overheadBuckets: readonly number[]) {
    this.duration = new HistogramFamily(
      'aihub_http_request_duration_seconds',
      'Time from request received to response finished, by method, route pattern and status',
      durationBuckets,
    );
    this.overhead = new HistogramFamily(
      'aihub_http_overhead_seconds',
      "Gateway's own time per request: duration minus time spent waiting on upstreams, by route pattern",
      overheadBuckets,
    );
    const requests = new CountOf(
      'aihub_http_requests_total',
      'HTTP requests answered by the gateway, by method, route pattern and status',
      this.duration,
    );
    for (const m of [requests, this.duration, this.overhead]) registry.registerMetric(m as never);
  }

  /**
   * Records one answered request. `route` is the matched route pattern or 'unmatched' (no overhead
   * series for unmatched requests: their paths are not bounded); `tenant` only with tenant labels.
   */
  record(
    method: string,
    route: string,
    status: number,
    tenant: string | undefined,
    seconds: number,
    overheadSeconds: number,
    traceId: string | undefined,
  ): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let byTenant = byStatus.get(status);
    if (!byTenant) byStatus.set(status, (byTenant = new Map()));
    let s = byTenant.get(tenant ?? '');
    if (!s) byTenant.set(tenant ?? '', (s = this.addSeries(method, route, status, tenant)));
    s.duration.observe(seconds, traceId);
    s.overhead?.observe(overheadSeconds);
  }

  /** The duration series (one per method, route, status and tenant), read by the live monitor's sampler. */
  durationSeries(): readonly HistogramSeries[] {
    return this.duration.series;
  }

  private addSeries(method: string, route: string, status: number, tenant: string | undefined): RouteSeries {
    const labels: Labels = { method, route, status };
    if (tenant !== undefined) labels.tenant = tenant;
    let overhead: HistogramSeries | undefined;
    if (route !== 'unmatched') {
      overhead = this.overheadByRoute.get(route);
      if (!overhead) {
        overhead = this.overhead.add({ route });
        this.overheadByRoute.set(route, overhead);
      }
    }
    return { duration: this.duration.add(labels), overhead };
  }
}
