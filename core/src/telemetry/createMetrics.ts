import client, { Registry, type Counter, type Gauge } from 'prom-client';
import type { PluginMeter } from '../kernel/types';
import { RememberedCounter, RememberedHistogram } from './rememberedSeries';
import { RequestMetrics } from './requestMetrics';

/** Request duration buckets in seconds: fine below 100 ms where the gateway's own overhead lives. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** The gateway's own time per request lives well below a millisecond. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface GatewayMetrics {
  registry: Registry;
  /** Requests, duration and overhead: one call per request (see RequestMetrics). */
  requests: RequestMetrics;
  httpInFlight: Gauge<string>;
  /** Requests being served; read by the in-flight gauge at scrape time (no per-request metric call). */
  inFlight: { value: number };
  hookErrors: Counter<'plugin' | 'phase'>;
  meterFor(plugin: string): PluginMeter;
  /** Renders for the Accept header: OpenMetrics (with exemplars) when asked for, else text 0.0.4. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

/**
 * One prom-client registry for the process, kept in OpenMetrics mode because exemplars (trace ids on
 * histogram buckets) only exist there; plain Prometheus text is derived from it for other scrapers.
 */
export function createMetrics(options: { processMetrics: boolean }): GatewayMetrics {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  if (options.processMetrics) client.collectDefaultMetrics({ register: registry, prefix: 'aihub_' });
  const requests = new RequestMetrics(registry, DURATION_BUCKETS, OVERHEAD_BUCKETS);
  const inFlight = { value: 0 };
  const httpInFlight = new client.Gauge({
    name: 'aihub_http_requests_in_flight',
    help: 'Requests being served now',
    registers: [registry],
    collect() {
      this.set(inFlight.value);
    },
  });
  const hookErrors = new client.Counter({
    name: 'aihub_plugin_hook_errors_total',
    help: 'Errors thrown by plugin hooks, by plugin and phase',
    labelNames: ['plugin', 'phase'] as const,
    registers: [registry],
  });

  const named = (name: string) => (name.startsWith('aihub_') ? name : `aihub_${name}`);
  const existing = <T>(name: string): T | undefined => registry.getSingleMetric(named(name)) as T | undefined;
  const meterFor = (_plugin: string): PluginMeter => ({
    registry,
    counter: (name, help, labelNames = []) =>
      existing(name) ??
      new RememberedCounter({
        name: named(name),
        help,
        labelNames: labelNames as unknown as string[],
        registers: [registry],
      }),
    gauge: (name, help, labelNames = [], collect) =>
      existing(name) ??
      new client.Gauge({
        name: named(name),
        help,
        labelNames: labelNames as unknown as string[],
        registers: [registry],
        ...(collect ? { collect } : {}),
      }),
    histogram: (name, help, labelNames = [], buckets = DURATION_BUCKETS) =>
      existing(name) ??
      new RememberedHistogram({
        name: named(name),
        help,
        labelNames: labelNames as unknown as string[],
        buckets,
        registers: [registry],
      }),
  });

  return {
    registry,
    requests,
    httpInFlight,
    inFlight,
    hookErrors,
    meterFor,
    render: (accept) => renderRegistry(registry, accept),
  };
}

/**
 * Renders an OpenMetrics-mode registry for the Accept header: OpenMetrics (with exemplars) when asked
 * for, else text 0.0.4. Also renders the cluster's merged registry (see cluster/aggregate).
 */
export async function renderRegistry(
  registry: Registry,
  accept: string | undefined,
): Promise<{ contentType: string; body: string }> {
  const text = await registry.metrics();
  if (accept && accept.includes('application/openmetrics-text')) {
    return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: text };
  }
  return { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: openMetricsToText(text) };
}

/**
 * OpenMetrics → Prometheus text 0.0.4: drop exemplars and `# EOF`, and name counter families with
 * their `_total` suffix as the text format expects.
 */
export function openMetricsToText(om: string): string {
  const counters = new Set<string>();
  const out: string[] = [];
  for (const line of om.split('\n')) {
    if (line === '# EOF' || line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (type === 'counter') {
        counters.add(name);
        out.push(`# TYPE ${name}_total counter`);
        continue;
      }
      out.push(line);
      continue;
    }
    if (line.startsWith('# HELP ')) {
      const name = line.split(' ', 3)[2];
      // HELP precedes TYPE, so look ahead is not possible; fix up below.
      out.push(line);
      void name;
      continue;
    }
    const hash = line.indexOf(' # {');
    out.push(hash === -1 ? line : line.slice(0, hash));
  }
  // Rename HELP lines of counters now that every counter family is known.
  for (let i = 0; i < out.length; i++) {
    if (!out[i].startsWith('# HELP ')) continue;
    const name = out[i].split(' ', 3)[2];
    if (counters.has(name)) out[i] = `# HELP ${name}_total${out[i].slice(7 + name.length)}`;
  }
  return out.join('\n') + '\n';
}
