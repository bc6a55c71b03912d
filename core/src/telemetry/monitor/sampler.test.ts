import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from '../createMetrics';
import { readTotals } from './sampler';

/** The sampler reads the metrics plugins already keep, under the names of the monitor's contract. */
describe('live monitor sampler', () => {
  it('reads request classes, cost, cache, rate limits, breakers and queue lag from the registry', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const meter = metrics.meterFor('test');
    // Requests: only /v1/* routes are traffic.
    metrics.requests.record('POST', '/v1/chat/completions', 200, undefined, 0.02, 0.001, undefined);
    metrics.requests.record('POST', '/v1/chat/completions', 429, undefined, 0.001, 0.001, undefined);
    metrics.requests.record('POST', '/v1/chat/completions', 404, undefined, 0.001, 0.001, undefined);
    metrics.requests.record('POST', '/v1/chat/completions', 502, undefined, 1.5, 0.001, undefined);
    metrics.requests.record('GET', '/admin/v1/monitor', 200, undefined, 0.01, 0.001, undefined);
    meter.counter('ai_cost_usd_total', 'cost', ['model', 'provider']).inc({ model: 'a', provider: 'p' }, 0.25);
    const cache = meter.counter('cache_requests_total', 'cache', ['layer', 'result']);
    cache.inc({ layer: 'l1', result: 'hit' }, 4);
    cache.inc({ layer: 'l1', result: 'miss' }, 5);
    cache.inc({ layer: 'l2', result: 'hit' }, 2);
    cache.inc({ layer: 'l2', result: 'miss' }, 3);
    cache.inc({ layer: 'l1', result: 'bypass' }, 7);
    const limits = meter.counter('ratelimit_decisions_total', 'rl', ['outcome', 'level', 'dimension']);
    limits.inc({ outcome: 'limited', level: 'key', dimension: 'requests' }, 2);
    limits.inc({ outcome: 'allowed', level: 'key', dimension: 'requests' }, 9);
    const breaker = meter.gauge('circuit_breaker_state', 'b', ['deployment']);
    breaker.set({ deployment: 'a' }, 0);
    breaker.set({ deployment: 'b' }, 2);
    breaker.set({ deployment: 'c' }, 1);
    meter.gauge('usage_queue_lag', 'lag', [], function (this: { set(v: number): void }) {
      this.set(12);
    });
    const ttft = meter.histogram('ai_time_to_first_token_seconds', 'ttft', ['model', 'provider'], [0.1, 1]);
    (ttft as unknown as { observe(v: { labels: object; value: number }): void }).observe({
      labels: { model: 'a', provider: 'p' },
      value: 0.5,
    });
    (ttft as unknown as { observe(v: { labels: object; value: number }): void }).observe({
      labels: { model: 'b', provider: 'p' },
      value: 0.05,
    });

    const r = await readTotals(metrics);
    assert.equal(r.totals.req, 4);
    assert.deepEqual([r.totals.e4, r.totals.e429, r.totals.e5], [1, 1, 1]);
    assert.equal(
      r.totals.lat.reduce((a, b) => a + b, 0),
      4,
    );
    assert.equal(r.totals.cost, 0.25);
    // Hits in either layer; misses are lookups that missed every layer: L1 misses minus L2 hits.
    assert.deepEqual([r.totals.hit, r.totals.miss], [6, 3]);
    assert.equal(r.totals.limited, 2);
    assert.deepEqual(r.breakers, { a: 0, b: 2, c: 1 });
    assert.equal(r.queueLag, 12);
    assert.deepEqual(r.ttftBounds, [0.1, 1]);
    assert.deepEqual(r.totals.ttft, [1, 1, 0]);
  });

  it('reads zeros and no lag when no plugin registered the metrics', async () => {
    const r = await readTotals(createMetrics({ processMetrics: false }));
    assert.deepEqual([r.totals.req, r.totals.cost, r.totals.hit, r.totals.miss, r.totals.limited], [0, 0, 0, 0, 0]);
    assert.deepEqual(r.breakers, {});
    assert.equal(r.queueLag, null);
    assert.deepEqual(r.totals.ttft, []);
  });
});
