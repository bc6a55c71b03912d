import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, createMemoryStore } from '@aihub/core/testing';
import type { PolicyRow } from './models';
import { PolicyStore } from './PolicyStore';

const logger = createLogger({ level: 'error', format: 'json', silent: true });

function fakeModel(findAll: () => Promise<Partial<PolicyRow>[]>): typeof PolicyRow {
  return { findAll } as unknown as typeof PolicyRow;
}

describe('PolicyStore', () => {
  it('caches per tenant, invalidates over pub/sub, and does not cache a load that raced an invalidation', async () => {
    const store = createMemoryStore();
    let loads = 0;
    let limit = 10;
    const policies = new PolicyStore(
      fakeModel(
        async () => (
          loads++,
          [{ scope: 'key', subjectId: 'k', requestsPerMinute: limit, tokensPerMinute: null, concurrentRequests: null }]
        ),
      ),
      store,
      60_000,
      logger,
    );
    await policies.start();
    assert.deepEqual((await policies.get('t')).get('key:k'), { requestsPerMinute: 10 });
    assert.deepEqual((await policies.get('t')).get('key:k'), { requestsPerMinute: 10 });
    assert.equal(loads, 1);
    limit = 20;
    await store.publish('policies', 't');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual((await policies.get('t')).get('key:k'), { requestsPerMinute: 20 });
    assert.equal(loads, 2);
    await policies.stop();
    await store.close();
  });

  it('answers within a second with config-only limits when the database hangs', async () => {
    const store = createMemoryStore();
    const policies = new PolicyStore(
      fakeModel(() => new Promise(() => {})),
      store,
      60_000,
      logger,
    );
    const t = Date.now();
    const got = await policies.get('slow');
    assert.equal(got.size, 0);
    assert.ok(Date.now() - t < 1500);
    await store.close();
  });

  it('serves nothing but config limits when the database fails, and retries later', async () => {
    const store = createMemoryStore();
    let calls = 0;
    const policies = new PolicyStore(
      fakeModel(async () => {
        calls++;
        throw new Error('db down');
      }),
      store,
      0,
      logger,
    );
    assert.equal((await policies.get('x')).size, 0);
    assert.equal((await policies.get('x')).size, 0);
    assert.equal(calls, 1, 'a failed load is not retried on every request');
    await store.close();
  });
});
