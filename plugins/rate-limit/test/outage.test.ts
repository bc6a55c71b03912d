/**
 * Redis stops in the middle of a test: fail-open policies let requests through, fail-closed ones
 * answer 503, both counted; the gateway stays up; when Redis returns on the same port, ioredis
 * reconnects and limits are enforced again. Uses a private redis-server (never the shared one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import rateLimit from '../src/index';
import { fakeAiPlugin, identityPlugin } from './fixtures/plugins';
import { privateRedis, type RedisServer } from './fixtures/processes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate-limit when Redis goes away and comes back', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  const headers = { 'content-type': 'application/json', 'x-test-tenant': 'acme', 'x-test-key': 'k1' };
  const call = (model: string) =>
    gw.fetch('/v1/chat/completions', {
      method: 'POST',
      headers,
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });

  before(async () => {
    redis = await privateRedis();
    gw = await startTestGateway({
      plugins: [identityPlugin().plugin, fakeAiPlugin().plugin, rateLimit],
      config: { redis: { url: redis.url, keyPrefix: 'outage:' }, queue: { driver: 'database' } },
      pluginConfig: {
        'rate-limit': {
          windowSeconds: 3600,
          warnIntervalSeconds: 60,
          models: {
            'open-model': { requestsPerMinute: 3 },
            'closed-model': { requestsPerMinute: 3, failMode: 'closed' },
          },
        },
      },
    });
  });
  after(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('enforces limits while Redis is up', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call('open-model')).status, 200);
    assert.equal((await call('open-model')).status, 429);
    assert.equal((await call('closed-model')).status, 200);
  });

  it('fails open (200, no limit headers) and closed (503) while Redis is down, quickly and without crashing', async () => {
    await redis.stop();
    await sleep(200);
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const open = await call('open-model');
      const ms = performance.now() - t;
      assert.equal(open.status, 200, 'fail-open policy lets the request through');
      assert.equal(open.headers.get('ratelimit-limit'), null);
      await open.arrayBuffer();
      // Once ioredis knows the connection is gone, a decision does not wait for a timeout.
      if (i > 0) assert.ok(ms < 500, `fail-open answered in ${ms.toFixed(0)} ms`);
    }
    const closed = await call('closed-model');
    assert.equal(closed.status, 503);
    assert.equal(closed.headers.get('retry-after'), '1');
    const body = (await closed.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'rate_limit_unavailable');
    assert.match(body.error.message, /fails closed/);

    const metrics = await (await gw.fetch('/metrics')).text();
    assert.match(metrics, /aihub_ratelimit_store_errors_total\{operation="admit"\} [1-9]/);
    assert.match(
      metrics,
      /aihub_ratelimit_decisions_total\{outcome="error_open",level="model",dimension="requests"\} 5/,
    );
    assert.match(
      metrics,
      /aihub_ratelimit_decisions_total\{outcome="error_closed",level="model",dimension="requests"\} 1/,
    );
  });

  it('recovers by itself when Redis returns on the same port', async () => {
    await redis.start();
    // ioredis reconnects within its backoff (≤ 500 ms); the fail-closed policy is the tell-tale.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call('closed-model')).status;
      if (status === 200) break;
      await sleep(100);
    }
    assert.equal(status, 200, 'fail-closed policy admits again once Redis is back');
    // The new server is empty (no persistence): counting starts over and is enforced again.
    for (let i = 0; i < 3; i++) assert.equal((await call('open-model')).status, 200);
    const limited = await call('open-model');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('ratelimit-remaining'), '0');
  });
});
