import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { REDIS_URL } from '../../testing';
import { createRedisStore } from '../../services/storage';
import type { KeyValueStore } from '../../services/kv/KeyValueStore';
import { MemoryBoard, RECENT_MS, RedisBoard } from './board';
import type { InstanceSnapshot } from './snapshot';

const snapshot = (id: string, now: number): InstanceSnapshot => {
  const buckets = [];
  for (let t = now - 300_000; t < now; t += 2000)
    buckets.push({ t, req: 1, e4: 0, e429: 0, e5: 0, cost: 0, hit: 0, miss: 0, limited: 0 });
  return {
    id,
    startedAt: now - 400_000,
    publishedAt: now,
    intervalMs: 2000,
    latencyBounds: [1],
    ttftBounds: [],
    buckets,
    breakers: { d: 2 },
    queueLag: 3,
  };
};

describe('monitor boards', () => {
  let store: KeyValueStore;
  before(() => {
    store = createRedisStore({ url: REDIS_URL, prefix: `aihub-test-${randomBytes(6).toString('hex')}:` });
  });
  after(async () => {
    await store.deleteByPrefix('');
    await store.close();
  });

  it('Redis: a short window reads only the heads; a long one the older buckets too, in order', async () => {
    const board = new RedisBoard(store);
    const now = Date.now();
    await board.publish(snapshot('a', now), 6000);
    await board.publish(snapshot('b', now), 6000);
    const short = await board.read(now, 6000, now - 60_000);
    assert.deepEqual(short.map((s) => s.id).sort(), ['a', 'b']);
    for (const s of short) {
      assert.ok(s.buckets.every((b) => b.t >= now - RECENT_MS));
      assert.equal(s.buckets.length, RECENT_MS / 2000);
      assert.deepEqual(s.breakers, { d: 2 });
    }
    const long = await board.read(now, 6000, now - 300_000);
    for (const s of long) {
      assert.equal(s.buckets.length, 150);
      assert.ok(s.buckets.every((b, i) => i === 0 || b.t > s.buckets[i - 1].t));
    }
    await board.withdraw('a');
    assert.deepEqual(
      (await board.read(now, 6000, now - 300_000)).map((s) => s.id),
      ['b'],
    );
  });

  it('Redis: an instance older than the TTL is not listed even if its key lingers', async () => {
    const board = new RedisBoard(store);
    const now = Date.now();
    await board.publish(snapshot('stale', now - 10_000), 60_000);
    assert.ok(!(await board.read(now, 6000, now - 60_000)).some((s) => s.id === 'stale'));
  });

  it('memory: this process’s snapshot until its TTL', async () => {
    const board = new MemoryBoard();
    const now = Date.now();
    await board.publish(snapshot('self', now), 6000);
    assert.equal((await board.read(now + 5000)).length, 1);
    assert.equal((await board.read(now + 6001)).length, 0);
  });
});
