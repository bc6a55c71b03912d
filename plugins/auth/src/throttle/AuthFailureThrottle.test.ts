import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValueStore } from '@aihub/core/plugin-api';
import { AuthFailureThrottle } from './AuthFailureThrottle';

/** A shared store that counts nothing (the in-process decision is what is tested here). */
const store = {
  incr: async () => 1,
  pttl: async () => -1,
} as unknown as KeyValueStore;

const lruOf = (t: AuthFailureThrottle) => (t as unknown as { clientsLru?: unknown }).clientsLru;

test('no address table is allocated until the first failure (issue 20: idle heap)', () => {
  const throttle = new AuthFailureThrottle({ perMinute: 3, maxClients: 100_000 }, store, () => 0);
  assert.equal(throttle.blockedFor('10.0.0.1'), 0);
  assert.equal(throttle.anyBlocked, false);
  assert.equal(lruOf(throttle), undefined, 'a read before any failure must not build the LRU');
  throttle.failed('10.0.0.1');
  assert.notEqual(lruOf(throttle), undefined);
});

test('an address is blocked after perMinute failures, and free again when the window ends', () => {
  let now = 1_000;
  const throttle = new AuthFailureThrottle({ perMinute: 3, maxClients: 10 }, store, () => now);
  assert.equal(throttle.failed('10.0.0.1'), 0);
  assert.equal(throttle.failed('10.0.0.1'), 0);
  assert.equal(throttle.failed('10.0.0.1'), 60_000);
  assert.equal(throttle.anyBlocked, true);
  assert.equal(throttle.blockedFor('10.0.0.1'), 60_000);
  assert.equal(throttle.blockedFor('10.0.0.2'), 0);
  now += 60_000;
  assert.equal(throttle.blockedFor('10.0.0.1'), 0);
  assert.equal(throttle.anyBlocked, false);
});

test('perMinute 0 turns the throttle off without allocating', () => {
  const throttle = new AuthFailureThrottle({ perMinute: 0, maxClients: 100_000 }, store, () => 0);
  assert.equal(throttle.failed('10.0.0.1'), 0);
  assert.equal(lruOf(throttle), undefined);
});
