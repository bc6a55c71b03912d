import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyValueStore, ScriptDefinition } from './KeyValueStore';
import { createMemoryStore } from './MemoryStore';
import { createRedisStore } from './RedisStore';

/**
 * One contract, two implementations: every behaviour a plugin may rely on is checked against the
 * in-memory store and against a real Redis.
 */
const REDIS_URL = process.env.AIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const implementations: { name: string; create(prefix: string): KeyValueStore }[] = [
  { name: 'memory', create: (prefix) => createMemoryStore({ prefix }) },
  { name: 'redis', create: (prefix) => createRedisStore({ url: REDIS_URL, prefix }) },
];

/**
 * A sliding-window counter (the shape rate limits use): the previous window's count weighted by how
 * much of it still overlaps, plus the current window's count. Lua for Redis, its twin for memory.
 * KEYS: current window, previous window. ARGV: window ms, limit, elapsed part of the window in ‰.
 */
const slidingCounter: ScriptDefinition<[number, number]> = {
  name: 'test_sliding_counter',
  lua: `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local estimate = math.floor(prev * (1000 - tonumber(ARGV[3])) / 1000) + cur
if estimate >= tonumber(ARGV[2]) then return {0, estimate} end
local n = redis.call('INCRBY', KEYS[1], 1)
if n == 1 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2) end
return {1, estimate + 1}`,
  memory: (store, keys, args) => {
    const cur = Number(store.get(keys[0]) ?? '0');
    const prev = Number(store.get(keys[1]) ?? '0');
    const estimate = Math.floor((prev * (1000 - Number(args[2]))) / 1000) + cur;
    if (estimate >= Number(args[1])) return [0, estimate];
    const n = store.incrBy(keys[0], 1);
    if (n === 1) store.pexpire(keys[0], Number(args[0]) * 2);
    return [1, estimate + 1];
  },
};

const failingScript: ScriptDefinition<number> = {
  name: 'test_failing',
  lua: `return redis.call('INCRBY', KEYS[1], 'not-a-number')`,
  memory: (store, keys) => store.incrBy(keys[0], Number('not-a-number')),
};

for (const impl of implementations) {
  describe(`KeyValueStore contract: ${impl.name}`, () => {
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    let store: KeyValueStore;

    before(() => {
      store = impl.create(prefix);
    });

    after(async () => {
      try {
        await store.deleteByPrefix('');
      } finally {
        await store.close();
      }
    });

    it('reports its kind, prefix and client', () => {
      assert.equal(store.kind, impl.name);
      assert.equal(store.prefix, prefix);
      assert.equal(store.redisClient() === undefined, impl.name === 'memory');
    });

    it('pings', async () => {
      await store.ping();
    });

    it('gets what it set and null for a missing key', async () => {
      assert.equal(await store.get('missing'), null);
      assert.equal(await store.set('greeting', 'hello'), true);
      assert.equal(await store.get('greeting'), 'hello');
      assert.equal(await store.set('greeting', 'hello again'), true);
      assert.equal(await store.get('greeting'), 'hello again');
    });

    it('expires a key after its TTL', async () => {
      await store.set('short', 'lived', { ttlMs: 60 });
      assert.equal(await store.get('short'), 'lived');
      await sleep(150);
      assert.equal(await store.get('short'), null);
      assert.equal(await store.pttl('short'), -2);
    });

    it('sets with nx only when the key is missing', async () => {
      assert.equal(await store.set('lock', 'owner-1', { nx: true, ttlMs: 5000 }), true);
      assert.equal(await store.set('lock', 'owner-2', { nx: true, ttlMs: 5000 }), false);
      assert.equal(await store.get('lock'), 'owner-1');
      assert.ok((await store.pttl('lock')) > 0);
    });

    it('rejects a non-positive TTL', async () => {
      await assert.rejects(store.set('bad-ttl', 'x', { ttlMs: 0 }), /ttlMs/);
      await assert.rejects(store.incr('bad-ttl', 1, -5), /ttlMs/);
    });

    it('reports pttl: -2 missing, -1 persistent, remaining ms otherwise', async () => {
      assert.equal(await store.pttl('pttl-missing'), -2);
      await store.set('pttl-forever', 'x');
      assert.equal(await store.pttl('pttl-forever'), -1);
      await store.set('pttl-timed', 'x', { ttlMs: 10_000 });
      const left = await store.pttl('pttl-timed');
      assert.ok(left > 9_000 && left <= 10_000, `pttl was ${left}`);
      // A plain set clears the TTL, as in Redis.
      await store.set('pttl-timed', 'y');
      assert.equal(await store.pttl('pttl-timed'), -1);
    });

    it('increments atomically under 200 concurrent calls', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, () => store.incr('counter')));
      assert.equal(await store.get('counter'), '200');
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.equal(await store.incr('counter', -50), 150);
    });

    it('sets the TTL of a counter when it is created, and only then', async () => {
      assert.equal(await store.incr('window', 5, 1000), 5);
      const first = await store.pttl('window');
      assert.ok(first > 0 && first <= 1000, `pttl was ${first}`);
      assert.equal(await store.incr('window', 1, 60_000), 6);
      assert.ok((await store.pttl('window')) <= 1000, 'a later incr must not extend the TTL');
      assert.equal(await store.incr('window-no-ttl', 2), 2);
      assert.equal(await store.pttl('window-no-ttl'), -1);
    });

    it('counts on values written with set, and rejects non-integers', async () => {
      await store.set('numeric', '41');
      assert.equal(await store.incr('numeric'), 42);
      await store.set('text', 'abc');
      await assert.rejects(store.incr('text'), /not an integer/);
      await assert.rejects(store.incr('numeric', 1.5), /integer/);
    });

    it('deletes keys and counts only those that existed', async () => {
      await store.set('del-a', '1');
      await store.set('del-b', '2');
      assert.equal(await store.del('del-a', 'del-b', 'del-missing'), 2);
      assert.equal(await store.get('del-a'), null);
      assert.equal(await store.del(), 0);
    });

    it('reads many keys at once with mget', async () => {
      await store.set('m1', 'one');
      await store.set('m3', 'three');
      assert.deepEqual(await store.mget(['m1', 'm2', 'm3']), ['one', null, 'three']);
      assert.deepEqual(await store.mget([]), []);
    });

    it('stores binary values unchanged', async () => {
      const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80, 0x0a]);
      await store.set('binary', bytes);
      const back = await store.getBuffer('binary');
      assert.ok(back);
      assert.ok(bytes.equals(back));
      bytes[0] = 9; // the caller reusing its buffer must not change the stored value
      assert.equal((await store.getBuffer('binary'))?.[0], 0);
      await store.set('text-as-buffer', 'héllo');
      assert.equal((await store.getBuffer('text-as-buffer'))?.toString('utf8'), 'héllo');
      assert.equal(await store.getBuffer('binary-missing'), null);
    });

    it('runs a script atomically with the same results on both implementations', async () => {
      await store.set('rl:prev', '4');
      const outcomes: [number, number][] = [];
      for (let i = 0; i < 6; i++) {
        outcomes.push(await store.runScript(slidingCounter, ['rl:cur', 'rl:prev'], [60_000, 5, 500]));
      }
      // prev 4 × 50% overlap = 2, so three more fit under the limit of 5.
      assert.deepEqual(outcomes, [
        [1, 3],
        [1, 4],
        [1, 5],
        [0, 5],
        [0, 5],
        [0, 5],
      ]);
      assert.equal(await store.get('rl:cur'), '3');
      const ttl = await store.pttl('rl:cur');
      assert.ok(ttl > 0 && ttl <= 120_000, `pttl was ${ttl}`);
    });

    it('runs concurrent scripts without lost updates', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.runScript(slidingCounter, ['rl2:cur', 'rl2:prev'], [60_000, 30, 0])),
      );
      assert.equal(results.filter(([allowed]) => allowed === 1).length, 30);
      assert.equal(await store.get('rl2:cur'), '30');
    });

    it('rejects with the script name when a script fails', async () => {
      await assert.rejects(store.runScript(failingScript, ['broken'], []), /test_failing/);
    });

    it('delivers published messages to subscribers of other views within a second', async () => {
      const subscriberView = store.withPrefix('events:');
      const publisherView = store.withPrefix('events:');
      const otherView = store.withPrefix('other:');
      const received: [string, string][] = [];
      const stray: string[] = [];
      let resolveFirst!: () => void;
      const first = new Promise<void>((resolve) => (resolveFirst = resolve));
      const unsubscribe = await subscriberView.subscribe('revocations', (message, channel) => {
        received.push([message, channel]);
        resolveFirst();
      });
      const unsubscribeOther = await otherView.subscribe('revocations', (message) => stray.push(message));
      await publisherView.publish('revocations', 'key-123');
      const started = Date.now();
      await Promise.race([first, sleep(1000).then(() => assert.fail('no message within 1s'))]);
      assert.ok(Date.now() - started < 1000);
      assert.deepEqual(received, [['key-123', 'revocations']]);

      await unsubscribe();
      await unsubscribe(); // idempotent
      await publisherView.publish('revocations', 'key-456');
      await sleep(100);
      assert.equal(received.length, 1, 'no delivery after unsubscribe');
      assert.deepEqual(stray, [], 'a view with another prefix is another channel');
      await unsubscribeOther();
    });

    it('keeps delivering to other handlers when one handler throws', async () => {
      const view = store.withPrefix('throwing:');
      const got: string[] = [];
      const offBad = await view.subscribe('ch', () => {
        throw new Error('handler bug');
      });
      const offGood = await view.subscribe('ch', (message) => got.push(message));
      await view.publish('ch', 'still delivered');
      for (let i = 0; i < 50 && got.length === 0; i++) await sleep(20);
      assert.deepEqual(got, ['still delivered']);
      await offBad();
      await offGood();
    });

    it('deletes every key under a prefix, treating glob characters literally', async () => {
      await store.set('purge:a', '1');
      await store.set('purge:b', '2', { ttlMs: 60_000 });
      await store.incr('purge:c');
      await store.set('purge*x', 'not under purge:');
      await store.set('purgeable', 'not under purge:');
      assert.equal(await store.deleteByPrefix('purge:'), 3);
      assert.deepEqual(await store.mget(['purge:a', 'purge:b', 'purge:c']), [null, null, null]);
      assert.equal(await store.get('purge*x'), 'not under purge:');
      assert.equal(await store.get('purgeable'), 'not under purge:');
      assert.equal(await store.deleteByPrefix('purge*'), 1);
      assert.equal(await store.get('purgeable'), 'not under purge:');
    });

    it('isolates views with different prefixes over the same data', async () => {
      const auth = store.withPrefix('auth:');
      const cache = store.withPrefix('cache:');
      assert.equal(auth.prefix, `${prefix}auth:`);
      assert.equal(auth.kind, store.kind);
      await auth.set('k', 'from auth');
      await cache.set('k', 'from cache');
      assert.equal(await auth.get('k'), 'from auth');
      assert.equal(await cache.get('k'), 'from cache');
      assert.equal(await store.get('auth:k'), 'from auth', 'the root sees the view’s keys under its prefix');
      const nested = auth.withPrefix('keys:');
      await nested.set('x', '1');
      assert.equal(await store.get('auth:keys:x'), '1');
      assert.equal(await cache.deleteByPrefix(''), 1);
      assert.equal(await auth.get('k'), 'from auth');
      assert.equal(await auth.incr('n', 1, 10_000), 1);
      assert.equal(await store.get('auth:n'), '1');
      // Closing a view leaves the shared store open.
      await auth.close();
      assert.equal(await store.get('auth:k'), 'from auth');
      await store.ping();
    });
  });
}

describe('RedisStore specifics', () => {
  it('falls back to EVAL when the server lost its script cache', async () => {
    const store = createRedisStore({ url: REDIS_URL, prefix: `aihub-test:${randomBytes(6).toString('hex')}:` });
    try {
      assert.deepEqual(await store.runScript(slidingCounter, ['c', 'p'], [1000, 10, 0]), [1, 1]);
      await store.redisClient()!.script('FLUSH');
      assert.deepEqual(await store.runScript(slidingCounter, ['c', 'p'], [1000, 10, 0]), [1, 2]);
      await store.redisClient()!.script('FLUSH');
      assert.equal(await store.incr('ttl-counter', 1, 5000), 1);
    } finally {
      await store.deleteByPrefix('');
      await store.close();
    }
  });

  it('fails fast instead of hanging when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', prefix: 'x:', onError: (err) => errors.push(err) });
    try {
      const started = Date.now();
      await assert.rejects(store.get('k'));
      await assert.rejects(store.ping());
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
      assert.ok(errors.length > 0, 'connection errors reach onError rather than crashing the process');
    } finally {
      await store.close();
    }
  });

  it('rejects calls after close', async () => {
    const store = createRedisStore({ url: REDIS_URL, prefix: 'x:' });
    await store.ping();
    await store.close();
    await assert.rejects(store.get('k'));
    await store.close(); // idempotent
  });
});

describe('MemoryStore specifics', () => {
  it('expires keys by the injected clock', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ clock: { now: () => now, monotonic: () => now } });
    await store.set('k', 'v', { ttlMs: 1000 });
    await store.incr('n', 1, 500);
    now += 600;
    assert.equal(await store.get('n'), null);
    assert.equal(await store.pttl('k'), 400);
    now += 400;
    assert.equal(await store.get('k'), null);
    await store.close();
    await assert.rejects(store.get('k'), /closed/);
  });

  it('refuses to purge everything when it has no prefix', async () => {
    const store = createMemoryStore();
    try {
      await store.set('k', 'v');
      await assert.rejects(store.deleteByPrefix(''), /every key/);
      assert.equal(await store.get('k'), 'v');
      assert.equal(await store.deleteByPrefix('k'), 1);
    } finally {
      await store.close();
    }
  });
});
