import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSnapshots, quantileMs, type InstanceSnapshot, type MonitorBucket } from './snapshot';
import { bucketBetween } from './sampler';

const bounds = [0.01, 0.1, 1];
const bucket = (t: number, over: Partial<MonitorBucket>): MonitorBucket => ({
  t,
  req: 0,
  e4: 0,
  e429: 0,
  e5: 0,
  cost: 0,
  hit: 0,
  miss: 0,
  limited: 0,
  ...over,
});
const snap = (
  id: string,
  buckets: MonitorBucket[],
  breakers: InstanceSnapshot['breakers'] = {},
  queueLag: number | null = null,
): InstanceSnapshot => ({
  id,
  startedAt: 0,
  publishedAt: 100_000,
  intervalMs: 2000,
  latencyBounds: bounds,
  ttftBounds: bounds,
  buckets,
  breakers,
  queueLag,
});

describe('live monitor snapshots', () => {
  it('interpolates quantiles inside the bucket they fall in, like histogram_quantile', () => {
    // 10 observations ≤ 10 ms, 10 in (10 ms, 100 ms]
    assert.equal(quantileMs([10, 10, 0, 0], bounds, 0.5), 10);
    assert.equal(quantileMs([10, 10, 0, 0], bounds, 0.95), 10 + 90 * 0.9);
    assert.equal(quantileMs([0, 0, 0, 4], bounds, 0.5), 1000, 'overflow answers the highest bound');
    assert.equal(quantileMs([0, 0, 0, 0], bounds, 0.5), null);
  });

  it('sums counters and merges histograms before taking percentiles (not an average of percentiles)', () => {
    // Instance a: 90 fast requests (≤ 10 ms). Instance b: 10 slow ones (100 ms – 1 s).
    const a = snap(
      'a',
      [bucket(96_000, { req: 90, e5: 3, cost: 0.25, hit: 4, miss: 6, lat: [90, 0, 0, 0] })],
      { 'dep-1': 0, 'dep-2': 2 },
      7,
    );
    const b = snap(
      'b',
      [bucket(96_000, { req: 10, e4: 1, e429: 2, cost: 0.5, limited: 2, lat: [0, 0, 10, 0] })],
      { 'dep-1': 1, 'dep-2': 2 },
      5,
    );
    const view = mergeSnapshots([b, a], 60, 100_000);
    assert.equal(view.cluster.requests, 100);
    assert.deepEqual(view.cluster.errors, { client: 1, rate_limited: 2, server: 3, total: 6 });
    assert.equal(view.cluster.spend_usd, 0.75);
    assert.equal(view.cluster.spend_per_minute_usd, 0.75);
    assert.equal(view.cluster.requests_per_second, Math.round((100 / 60) * 1000) / 1000);
    assert.deepEqual(view.cluster.cache, { hits: 4, misses: 6, hit_ratio: 0.4 });
    assert.equal(view.cluster.rate_limited, 2);
    // Merged: 90 of 100 under 10 ms, so p50 is in the first bucket and p95 among the slow ones.
    assert.equal(view.cluster.latency_ms.p50, 5.556); // (50 / 90) × 10 ms, to the microsecond
    assert.equal(view.cluster.latency_ms.p95, 100 + 900 * 0.5);
    assert.deepEqual(view.cluster.breakers, [
      { deployment: 'dep-1', state: 'half_open', open_instances: 0, half_open_instances: 1 },
      { deployment: 'dep-2', state: 'open', open_instances: 2, half_open_instances: 0 },
    ]);
    assert.equal(view.cluster.queue_lag, 7);
    assert.deepEqual(
      view.instances.map((i) => [i.instance_id, i.requests, i.latency_ms.p95]),
      [
        ['a', 90, 9.5],
        ['b', 10, 100 + 900 * 0.95],
      ],
    );
    assert.deepEqual(
      view.cluster.series.map((p) => [p.t, p.requests, p.errors]),
      [[new Date(96_000).toISOString(), 100, 6]],
    );
  });

  it('counts only buckets inside the window', () => {
    const a = snap('a', [bucket(30_000, { req: 5 }), bucket(80_000, { req: 2 })]);
    assert.equal(mergeSnapshots([a], 60, 100_000).cluster.requests, 2);
    assert.equal(mergeSnapshots([a], 90, 100_000).cluster.requests, 7);
  });

  it('leaves a histogram with other bounds out of the cluster percentiles instead of mis-adding it', () => {
    const a = snap('a', [bucket(96_000, { req: 1, lat: [1, 0, 0, 0] })]);
    const b = { ...snap('b', [bucket(96_000, { req: 1, lat: [0, 0, 0, 0, 1] })]), latencyBounds: [0.01, 0.1, 1, 10] };
    const view = mergeSnapshots([a, b], 60, 100_000);
    assert.equal(view.cluster.requests, 2);
    assert.equal(view.cluster.latency_ms.p95, 9.5);
    assert.equal(view.instances[1].latency_ms.p95, 10_000);
  });

  it('makes a bucket from two cumulative readings; a counter that went down counts from zero', () => {
    const zero = {
      req: 0,
      e4: 0,
      e429: 0,
      e5: 0,
      cost: 0,
      hit: 0,
      miss: 0,
      limited: 0,
      lat: [0, 0],
      ttft: [] as number[],
    };
    const prev = { ...zero, req: 10, lat: [6, 4] };
    const cur = { ...zero, req: 13, cost: 0.5, lat: [8, 5], ttft: [1, 0] };
    assert.deepEqual(bucketBetween(2000, prev, cur), {
      ...bucket(2000, { req: 3, cost: 0.5 }),
      lat: [2, 1],
      ttft: [1, 0],
    });
    assert.equal(bucketBetween(2000, { ...zero, req: 50 }, { ...zero, req: 4 }).req, 4);
  });
});
