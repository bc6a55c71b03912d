import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client, { Registry } from 'prom-client';
import { RequestMetrics } from './requestMetrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The reference: the same observations through prom-client's own Counter and Histogram. */
async function reference(observations: [string, string, number, number][]): Promise<string> {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  const labelNames = ['method', 'route', 'status'];
  const counter = new client.Counter({
    name: 'aihub_http_requests_total',
    help: 'HTTP requests answered by the gateway, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const hist = new client.Histogram({
    name: 'aihub_http_request_duration_seconds',
    help: 'Time from request received to response finished, by method, route pattern and status',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });
  const over = new client.Histogram({
    name: 'aihub_http_overhead_seconds',
    help: "Gateway's own time per request: duration minus time spent waiting on upstreams, by route pattern",
    labelNames: ['route'],
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const [method, route, status, seconds] of observations) {
    counter.inc({ method, route, status });
    hist.observe({ method, route, status }, seconds);
    if (route !== 'unmatched') over.observe({ route }, seconds / 2);
  }
  return registry.metrics();
}

describe('RequestMetrics', () => {
  const observations: [string, string, number, number][] = [
    ['GET', '/health/live', 200, 0.0004],
    ['GET', '/health/live', 200, 0.02],
    ['POST', '/v1/chat/completions', 200, 0.5],
    ['POST', '/v1/chat/completions', 429, 0.001],
    ['POST', '/v1/chat/completions', 200, 7],
    ['GET', 'unmatched', 404, 0.003],
  ];

  it('renders the same OpenMetrics text as prom-client for the same observations', async () => {
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const m = new RequestMetrics(registry, BUCKETS, BUCKETS);
    for (const [method, route, status, seconds] of observations)
      m.record(method, route, status, undefined, seconds, seconds / 2, undefined);
    const ours = (await registry.metrics()).split('\n').sort();
    const theirs = (await reference(observations)).split('\n').sort();
    assert.deepEqual(ours, theirs);
  });

  it('puts the trace id of a sampled request on its bucket as an exemplar', async () => {
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const m = new RequestMetrics(registry, BUCKETS, BUCKETS);
    m.record('GET', '/x', 200, undefined, 0.05, 0.01, '0af7651916cd43dd8448eb211c80319c');
    m.record('GET', '/x', 200, undefined, 0.0005, 0.0001, undefined);
    const text = await registry.metrics();
    assert.match(
      text,
      /aihub_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/x",status="200"\} 2 # \{trace_id="0af7651916cd43dd8448eb211c80319c"\} 0.05 \d+/,
    );
    assert.doesNotMatch(text, /le="0.001".* # \{/, 'unsampled requests leave no exemplar');
  });

  it('labels series by tenant when asked, and never makes an overhead series for unmatched paths', async () => {
    const registry = new Registry();
    const m = new RequestMetrics(registry, BUCKETS, BUCKETS);
    m.record('GET', '/x', 200, 'acme', 0.01, 0.01, undefined);
    m.record('GET', '/x', 200, 'globex', 0.01, 0.01, undefined);
    m.record('GET', 'unmatched', 404, 'acme', 0.01, 0.01, undefined);
    const json = await registry.getMetricsAsJSON();
    const requests = json.find((f) => f.name === 'aihub_http_requests_total')!;
    assert.deepEqual(
      requests.values.map((v) => v.labels.tenant),
      ['acme', 'globex', 'acme'],
    );
    const overhead = json.find((f) => f.name === 'aihub_http_overhead_seconds')!;
    const routes = new Set(overhead.values.map((v) => v.labels.route));
    assert.deepEqual([...routes], ['/x']);
    const count = overhead.values.find(
      (v) => (v as { metricName?: string }).metricName === 'aihub_http_overhead_seconds_count',
    )!;
    assert.equal(count.value, 2, 'both tenants share the route-only overhead series');
  });
});
