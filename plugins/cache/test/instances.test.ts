/**
 * Two gateway instances sharing one Redis (each with its own L1, its own upstream and its own
 * Redis connections): the shared layer, purges reaching the other instance's L1 over pub/sub, and
 * single-flight across instances through the Redis lock.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import cache from '../src/index';
import { REDIS_URL, deleteRedisPrefix, fakeAiPlugin, identityPlugin, readSse, sleep, type FakeAi } from './fixtures';

describe('cache across two instances sharing Redis', () => {
  const keyPrefix = `aihub-test-${randomBytes(5).toString('hex')}:`;
  const gws: TestGateway[] = [];
  const ais: FakeAi[] = [];
  let seq = 0;
  const fresh = () => `shared ${++seq} ${Date.now()}`;
  const chat = (i: number, q: string, extra: Record<string, string> = {}, body: Record<string, unknown> = {}) =>
    gws[i].fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-tenant': 'acme', 'x-test-key': 'k', ...extra },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: q }], temperature: 0, ...body }),
    });
  const calls = () => ais[0].calls.chat + ais[1].calls.chat;

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const identity = identityPlugin();
      identity.tenants.set('acme', {
        id: 'acme',
        slug: 'acme',
        name: 'acme',
        status: 'active',
        plan: 'free',
        settings: {},
      });
      const ai = fakeAiPlugin({ completionTokens: 3 });
      ais.push(ai);
      gws.push(
        await startTestGateway({
          plugins: [identity.plugin, ai.plugin, cache],
          config: { redis: { url: REDIS_URL, keyPrefix }, queue: { driver: 'database' } },
          pluginConfig: { cache: { singleFlight: { waitMs: 5000, pollMs: 50 } } },
        }),
      );
    }
  });
  after(async () => {
    for (const gw of gws) await gw.stop();
    await deleteRedisPrefix(REDIS_URL, keyPrefix);
  });

  it('serves an answer stored by one instance from the shared layer on the other', async () => {
    const q = fresh();
    const before = calls();
    const a = await chat(0, q);
    assert.equal(a.headers.get('x-aihub-cache'), 'miss');
    const body = await a.json();
    await sleep(50);
    const b = await chat(1, q);
    assert.equal(b.headers.get('x-aihub-cache'), 'hit');
    assert.deepEqual(await b.json(), body);
    assert.equal(calls() - before, 1);
    // Now in instance 1's L1 as well: replayed as a stream from memory.
    const s = await chat(1, q, {}, { stream: true });
    assert.equal(s.headers.get('x-aihub-cache'), 'hit');
    assert.equal((await readSse(s)).at(-1), '[DONE]');
  });

  it("invalidates the other instance's in-process copy when a tenant is purged", async () => {
    const q = fresh();
    await (await chat(0, q)).arrayBuffer();
    await sleep(50);
    // Both instances now hold the entry in L1.
    assert.equal((await chat(0, q)).headers.get('x-aihub-cache'), 'hit');
    assert.equal((await chat(1, q)).headers.get('x-aihub-cache'), 'hit');
    const purge = await gws[0].fetch('/admin/v1/tenants/acme/cache', {
      method: 'DELETE',
      headers: { 'x-test-tenant': 'acme', 'x-test-key': 'k', 'x-test-role': 'owner' },
    });
    assert.equal(purge.status, 200);
    const { removed } = (await purge.json()) as { removed: number };
    assert.ok(removed >= 1);
    await sleep(100);
    const before = calls();
    const after1 = await chat(1, q);
    assert.equal(after1.headers.get('x-aihub-cache'), 'miss', 'instance 1 dropped its L1 copy on the purge message');
    await after1.arrayBuffer();
    assert.equal(calls() - before, 1);
  });

  it('makes one upstream call for concurrent identical misses spread over both instances (Redis lock)', async () => {
    const q = fresh();
    const before = calls();
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => chat(i % 2, q, { 'x-test-delay-ms': '300' })),
    );
    for (const r of responses) assert.equal(r.status, 200);
    const bodies = await Promise.all(
      responses.map((r) => r.json() as Promise<{ choices: { message: { content: string } }[] }>),
    );
    assert.ok(bodies.every((b) => b.choices[0].message.content === `echo: ${q}`));
    assert.equal(calls() - before, 1, `upstream calls: ${calls() - before}`);
    assert.equal(responses.filter((r) => r.headers.get('x-aihub-cache') === 'miss').length, 1);
  });
});
