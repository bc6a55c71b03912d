import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, createMemoryStore } from '@aihub/core/testing';
import type { TenantContext } from '@aihub/core/plugin-api';
import { CachedTenantDirectory } from './directory';

const logger = createLogger({ level: 'error', format: 'json', silent: true });
const tenant = (id: string, name: string): TenantContext => ({
  id,
  slug: id,
  name,
  status: 'active',
  plan: 'free',
  settings: { limits: { requestsPerMinute: 1 } },
});
const tick = () => new Promise((r) => setTimeout(r, 10));

function setup(
  options: {
    ttlMs?: number;
    maxEntries?: number;
    store?: ReturnType<typeof createMemoryStore>;
    now?: () => number;
  } = {},
) {
  const db = new Map<string, TenantContext>([['ten_a', tenant('ten_a', 'A')]]);
  let loads = 0;
  const store = options.store ?? createMemoryStore({ prefix: 't:' });
  const dir = new CachedTenantDirectory({
    load: async (id) => {
      loads++;
      await tick();
      const t = db.get(id);
      return t ? structuredClone(t) : undefined;
    },
    ttlMs: options.ttlMs ?? 5000,
    maxEntries: options.maxEntries ?? 100,
    store,
    logger,
    now: options.now,
  });
  return { db, dir, store, loads: () => loads };
}

describe('tenant directory', () => {
  it('serves hits from memory and loads a miss once however many wait', async () => {
    const { dir, loads } = setup();
    assert.equal(dir.peek('ten_a'), undefined);
    const results = await Promise.all([dir.get('ten_a'), dir.get('ten_a'), dir.get('ten_a')]);
    assert.equal(loads(), 1);
    assert.ok(results.every((r) => r?.name === 'A'));
    assert.equal(dir.peek('ten_a')?.name, 'A');
    await dir.get('ten_a');
    assert.equal(loads(), 1);
  });

  it('caches unknown tenants too, so a flood of bad ids is not a flood of queries', async () => {
    const { dir, loads } = setup();
    assert.equal(await dir.get('ten_missing'), undefined);
    assert.equal(await dir.get('ten_missing'), undefined);
    assert.equal(loads(), 1);
    assert.ok(dir.has('ten_missing'));
  });

  it('expires entries after the TTL (the safety net)', async () => {
    let now = 1000;
    const { dir, db, loads } = setup({ ttlMs: 5000, now: () => now });
    await dir.get('ten_a');
    db.set('ten_a', tenant('ten_a', 'A2'));
    now += 4999;
    assert.equal((await dir.get('ten_a'))?.name, 'A');
    now += 2;
    assert.equal((await dir.get('ten_a'))?.name, 'A2');
    assert.equal(loads(), 2);
  });

  it('freezes cached tenants so no plugin can change them in place', async () => {
    const { dir } = setup();
    const t = (await dir.get('ten_a'))!;
    assert.throws(() => {
      (t as { name: string }).name = 'x';
    });
    assert.throws(() => {
      (t.settings.limits as { requestsPerMinute: number }).requestsPerMinute = 99;
    });
  });

  it('invalidates every instance that shares the store (pub/sub on tenancy:invalidate)', async () => {
    const store = createMemoryStore({ prefix: 't:' });
    const one = setup({ store });
    const two = setup({ store });
    await one.dir.start();
    await two.dir.start();
    try {
      await one.dir.get('ten_a');
      await two.dir.get('ten_a');
      one.db.set('ten_a', tenant('ten_a', 'B'));
      two.db.set('ten_a', tenant('ten_a', 'B'));
      one.dir.invalidate('ten_a');
      assert.equal(one.dir.peek('ten_a'), undefined, 'dropped locally at once');
      await tick();
      assert.equal(two.dir.peek('ten_a'), undefined, 'dropped on the other instance');
      assert.equal((await two.dir.get('ten_a'))?.name, 'B');
    } finally {
      await one.dir.stop();
      await two.dir.stop();
      await store.close();
    }
  });

  it('does not cache a load that raced with an invalidation', async () => {
    const { dir, db } = setup();
    const pending = dir.get('ten_a');
    db.set('ten_a', tenant('ten_a', 'new'));
    dir.invalidate('ten_a');
    await pending;
    assert.equal((await dir.get('ten_a'))?.name, 'new');
  });

  it('bounds its size', async () => {
    const { dir, db } = setup({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) db.set(`ten_${i}`, tenant(`ten_${i}`, `${i}`));
    for (let i = 0; i < 10; i++) await dir.get(`ten_${i}`);
    assert.equal(dir.size, 3);
    assert.ok(dir.has('ten_9'));
  });
});
