import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client, { Registry } from 'prom-client';
import { openMetricsToText, renderRegistry } from '../telemetry/createMetrics';
import { aggregateWorkers, type MetricJson } from './aggregate';

/** One worker's registry, as createMetrics keeps it (OpenMetrics mode), with a counter, a histogram and a gauge. */
async function worker(requests: number, observed: number[], inFlight: number): Promise<MetricJson[]> {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  const counter = new client.Counter({
    name: 'aihub_http_requests_total',
    help: 'requests',
    labelNames: ['route'],
    registers: [registry],
  });
  counter.inc({ route: '/v1/models' }, requests);
  const histogram = new client.Histogram({
    name: 'aihub_http_request_duration_seconds',
    help: 'duration',
    buckets: [0.1, 1],
    registers: [registry],
  });
  for (const v of observed) histogram.observe(v);
  const gauge = new client.Gauge({ name: 'aihub_http_requests_in_flight', help: 'in flight', registers: [registry] });
  gauge.set(inFlight);
  return (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
}

describe('aggregateWorkers', () => {
  it('sums counters and histogram buckets, and keeps one gauge series per worker', async () => {
    const merged = aggregateWorkers([
      { worker: '1', metrics: await worker(3, [0.05, 0.5], 2) },
      { worker: '2', metrics: await worker(4, [0.05, 5], 1) },
    ]);
    const { body } = await renderRegistry(merged, undefined);
    assert.match(body, /^aihub_http_requests_total\{route="\/v1\/models"\} 7$/m);
    assert.match(body, /^# TYPE aihub_http_requests_total counter$/m, 'one _total suffix in the text format');
    assert.doesNotMatch(body, /_total_total/);
    assert.match(body, /^aihub_http_request_duration_seconds_bucket\{le="0.1"\} 2$/m);
    assert.match(body, /^aihub_http_request_duration_seconds_bucket\{le="1"\} 3$/m);
    assert.match(body, /^aihub_http_request_duration_seconds_bucket\{le="\+Inf"\} 4$/m);
    assert.match(body, /^aihub_http_request_duration_seconds_count 4$/m);
    assert.match(body, /^aihub_http_requests_in_flight\{worker="1"\} 2$/m);
    assert.match(body, /^aihub_http_requests_in_flight\{worker="2"\} 1$/m);
  });

  it('renders valid OpenMetrics too (counter family without _total, samples with it, # EOF)', async () => {
    const merged = aggregateWorkers([{ worker: '1', metrics: await worker(1, [], 0) }]);
    const { contentType, body } = await renderRegistry(merged, 'application/openmetrics-text; version=1.0.0');
    assert.match(contentType, /openmetrics/);
    assert.match(body, /^# TYPE aihub_http_requests counter$/m);
    assert.match(body, /^aihub_http_requests_total\{route="\/v1\/models"\} 1$/m);
    assert.match(body, /# EOF\n?$/);
    assert.equal(openMetricsToText(body).includes('# EOF'), false);
  });

  it("keeps aihub_cluster_worker_* counters per worker and the primary's series as they are", async () => {
    const conn = (v: number): MetricJson => ({
      name: 'aihub_cluster_worker_connections_total',
      help: 'c',
      type: 'counter',
      values: [{ value: v, labels: {} }],
    });
    const merged = aggregateWorkers([
      { worker: '1', metrics: [conn(5)] },
      { worker: '2', metrics: [conn(7)] },
      {
        worker: 'primary',
        metrics: [
          {
            name: 'aihub_cluster_workers',
            help: 'w',
            type: 'gauge',
            values: [{ value: 2, labels: { state: 'ready' } }],
          },
        ],
      },
    ]);
    const { body } = await renderRegistry(merged, undefined);
    assert.match(body, /^aihub_cluster_worker_connections_total\{worker="1"\} 5$/m);
    assert.match(body, /^aihub_cluster_worker_connections_total\{worker="2"\} 7$/m);
    assert.match(body, /^aihub_cluster_workers\{state="ready"\} 2$/m);
  });
});
