import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { type KeyValueStore } from '@aihub/core/plugin-api';
import { createLogger, createMemoryStore, createMetrics } from '@aihub/core/testing';
import { Limiter } from './Limiter';
import { RateLimitMetrics } from './metrics';
import type { Resolution } from './resolve';

function setup(store: KeyValueStore) {
  const lines: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'info', format: 'json', stream });
  const metrics = new RateLimitMetrics(createMetrics({ processMetrics: false }).meterFor('rate-limit'));
  const limiter = new Limiter(store, { windowMs: 60_000, leaseMs: 30_000, warnIntervalMs: 60_000 }, metrics, logger);
  return { limiter, lines, metrics };
}

const r: Resolution = { requests: { level: 'global', limit: 10, subject: 't' }, failClosed: false };

describe('Limiter', () => {
  it('warns once per interval while the store fails, counts every error, and logs the recovery', async () => {
    const real = createMemoryStore();
    let down = true;
    const flaky = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'runScript' && down) return async () => Promise.reject(new Error('connection refused'));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const { limiter, lines, metrics } = setup(flaky);
    for (let i = 0; i < 50; i++) await assert.rejects(limiter.admit(r, 0), /connection refused/);
    await new Promise((res) => setImmediate(res));
    const warnings = lines.filter((l) => l.includes('rate-limit store unreachable'));
    assert.equal(warnings.length, 1, 'one warning, not one per request');
    const counted = await metrics.storeErrors.get();
    assert.equal(counted.values.find((v) => v.labels.operation === 'admit')?.value, 50);
    down = false;
    const d = await limiter.admit(r, 0);
    assert.equal(d.status, 0);
    await new Promise((res) => setImmediate(res));
    assert.equal(lines.filter((l) => l.includes('reachable again')).length, 1);
    await real.close();
  });

  it('holds a lease per admitted concurrent request and drops it on settle', async () => {
    const store = createMemoryStore();
    const { limiter } = setup(store);
    const conc: Resolution = { concurrency: { level: 'key', limit: 2, subject: 't:k:a' }, failClosed: false };
    const a = await limiter.admit(conc, 0);
    const b = await limiter.admit(conc, 0);
    assert.equal(limiter.inFlight, 2);
    assert.equal((await limiter.admit(conc, 0)).status, 3);
    await limiter.settle(a, 0);
    assert.equal(limiter.inFlight, 1);
    assert.equal((await limiter.admit(conc, 0)).status, 0);
    await limiter.settle(b, 0);
    await store.close();
  });
});
