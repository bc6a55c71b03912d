import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, robustZ } from './spend';
import { compact } from './Sampler';
import { merge, quantileMs, type StatsSnapshot } from './stats';

describe('spend anomaly: robust z-score', () => {
  it('scores a spike high and ordinary noise low', () => {
    const history = [100, 120, 90, 110, 95, 105, 130, 80, 100, 115];
    assert.ok(robustZ(1000, history) > 20);
    assert.ok(Math.abs(robustZ(110, history)) < 1);
  });

  it('is not dragged by earlier spikes (unlike a mean and standard deviation)', () => {
    const history = [100, 100, 100, 100, 100, 100, 5000, 100, 100, 100];
    assert.equal(median(history), 100);
    assert.ok(robustZ(1000, history) > 3.5, 'a 10× hour after one old spike is still an outlier');
  });

  it('a flat history uses a floor instead of dividing by zero', () => {
    assert.ok(Number.isFinite(robustZ(500, [0, 0, 0, 0])));
    assert.ok(robustZ(500, [0, 0, 0, 0]) > 100);
    assert.equal(robustZ(0, []), 0);
  });
});

describe('deployment figures merged across instances', () => {
  const bounds = [0.1, 0.5, 1];
  const snap = (id: string, t: number, n: number, err: number, h: number[]): StatsSnapshot => ({
    id,
    at: t,
    bounds,
    ttftBounds: [],
    buckets: [{ t, dep: { d1: { n, err, h } }, ttft: {} }],
    breakers: {},
    queueLag: null,
  });

  it('adds counts and histograms, never averages percentiles', () => {
    const now = 100_000;
    // Instance a: 90 fast calls; b: 10 slow failing ones. Cluster p95 falls in b's bucket.
    const { figures } = merge(
      [snap('a', now - 1000, 90, 0, [90, 90, 90, 90]), snap('b', now - 1000, 10, 10, [0, 0, 10, 10])],
      'dep',
      60_000,
      now,
    );
    const f = figures.get('d1')!;
    assert.equal(f.requests, 100);
    assert.equal(f.errorRatio, 0.1);
    assert.ok(f.p95Ms! > 500 && f.p95Ms! <= 1000, String(f.p95Ms));
  });

  it('leaves out buckets outside the window and before a restore', () => {
    const now = 100_000;
    const old = snap('a', now - 70_000, 50, 50, [50, 50, 50, 50]);
    assert.equal(merge([old], 'dep', 60_000, now).figures.size, 0);
    const recent = snap('a', now - 5_000, 50, 50, [50, 50, 50, 50]);
    assert.equal(merge([recent], 'dep', 60_000, now, new Map([['d1', now - 1_000]])).figures.size, 0);
    assert.equal(merge([recent], 'dep', 60_000, now, new Map([['d1', now - 10_000]])).figures.get('d1')!.errorRatio, 1);
  });

  it('quantiles interpolate within a bucket; the overflow answers the top bound', () => {
    assert.equal(Math.round(quantileMs([0, 10, 10, 10], bounds, 0.5)!), 300);
    assert.equal(quantileMs([0, 0, 0, 10], bounds, 0.95), 1000);
    assert.equal(quantileMs([0, 0, 0, 0], bounds, 0.95), null);
  });
});

describe('sampler history compaction', () => {
  it('folds old buckets into minutes, keeps recent ones, and never changes the originals', () => {
    const s = (n: number) => ({ n, err: 0, h: [n] });
    const original = s(1);
    const buckets = [
      { t: 1_000, dep: { d: original }, ttft: {} },
      { t: 30_000, dep: { d: s(2) }, ttft: {} },
      { t: 61_000, dep: { d: s(4) }, ttft: {} },
      { t: 200_000, dep: { d: s(8) }, ttft: {} },
    ];
    const out = compact(buckets, 150_000);
    assert.deepEqual(
      out.map((b) => [b.t, b.dep.d.n]),
      [
        [60_000, 3],
        [120_000, 4],
        [200_000, 8],
      ],
    );
    assert.equal(original.n, 1);
  });
});
