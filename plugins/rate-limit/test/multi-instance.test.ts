/**
 * Three gateway processes share one Redis. Concurrent load is spread across them against a limit L
 * within one window: the number allowed must not exceed L and must not fall below L − 1%. Once for
 * requests per minute, once for tokens per minute with streamed requests (reserved before the call,
 * reconciled with the upstream's real usage after the stream).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_URL, deleteRedisPrefix } from './fixtures/backends';
import { readSse } from './fixtures/plugins';
import { startInstance, type Instance } from './fixtures/processes';

const WINDOW_SECONDS = 15;
const RPM_LIMIT = 300;
const TPM_LIMIT = 50_000;
/** The fake upstream reports 100 prompt + 50 completion tokens per request. */
const ACTUAL_TOKENS = 150;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits across three gateway processes sharing one Redis', () => {
  const keyPrefix = `aihub-test-${randomBytes(5).toString('hex')}:`;
  const redis = new Redis(REDIS_URL);
  let instances: Instance[] = [];

  before(async () => {
    const options = {
      config: {
        redis: { url: REDIS_URL, keyPrefix },
        plugins: [
          { name: 'test-identity' },
          { name: 'test-ai' },
          {
            name: 'rate-limit',
            config: {
              windowSeconds: WINDOW_SECONDS,
              models: { 'rpm-model': { requestsPerMinute: RPM_LIMIT }, 'tpm-model': { tokensPerMinute: TPM_LIMIT } },
            },
          },
        ],
      },
      fakeAi: { promptTokens: 100, completionTokens: 50, chunks: 5, chunkGapMs: 5 },
    };
    instances = await Promise.all([startInstance(options), startInstance(options), startInstance(options)]);
  });

  after(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await deleteRedisPrefix(REDIS_URL, keyPrefix);
    redis.disconnect();
  });

  /** Waits, if needed, until at least `needMs` of the current window remain (Redis clock). */
  async function freshWindow(needMs: number): Promise<number> {
    const [s, us] = await redis.time();
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const windowMs = WINDOW_SECONDS * 1000;
    const left = windowMs - (now % windowMs);
    if (left >= needMs) return Math.floor(now / windowMs);
    await sleep(left + 50);
    return Math.floor(now / windowMs) + 1;
  }

  it(`allows exactly L = ${RPM_LIMIT} requests per window under concurrent load on three instances`, async (t) => {
    const tenant = `rpm-${randomBytes(3).toString('hex')}`;
    await freshWindow(10_000);
    const perInstance = [0, 0, 0];
    let allowed = 0;
    let limited = 0;
    let other = 0;
    const total = RPM_LIMIT * 2;
    let next = 0;
    const worker = async () => {
      for (;;) {
        const n = next++;
        if (n >= total) return;
        const target = n % 3;
        const res = await fetch(`${instances[target].url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-test-tenant': tenant, 'x-test-key': `k${n % 7}` },
          body: JSON.stringify({ model: 'rpm-model', messages: [{ role: 'user', content: `hi ${n}` }], max_tokens: 5 }),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          allowed++;
          perInstance[target]++;
        } else if (res.status === 429) limited++;
        else other++;
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 60 }, worker));
    const elapsed = Date.now() - started;
    t.diagnostic(
      `allowed ${allowed} of ${total} (L ${RPM_LIMIT}), per instance ${perInstance.join('/')}, ${elapsed} ms`,
    );
    assert.equal(other, 0, 'only 200 and 429 answers');
    assert.ok(allowed <= RPM_LIMIT, `allowed ${allowed} > L ${RPM_LIMIT}`);
    assert.ok(allowed >= Math.ceil(RPM_LIMIT * 0.99), `allowed ${allowed} < L − 1%`);
    assert.equal(allowed + limited, total);
    for (const n of perInstance) assert.ok(n > 0, `every instance admitted some requests: ${perInstance.join('/')}`);
    assert.ok(elapsed < 10_000, `the load fit in one window (${elapsed} ms)`);
  });

  it(`allows L − 1% ≤ tokens ≤ L = ${TPM_LIMIT} per window for streamed requests on three instances`, async (t) => {
    const tenant = `tpm-${randomBytes(3).toString('hex')}`;
    const window = await freshWindow(12_000);
    // 400 bytes of prompt → estimate 100 + 7 framing; max_tokens 100: 207 reserved, 150 really used.
    const body = JSON.stringify({
      model: 'tpm-model',
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
    });
    let allowed = 0;
    let seq = 0;
    let stop = false;
    const send = async (target: number): Promise<number> => {
      const res = await fetch(`${instances[target].url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-tenant': tenant, 'x-test-key': 'k' },
        body,
      });
      if (res.status !== 200) {
        await res.arrayBuffer();
        return res.status;
      }
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]', 'a complete stream');
      allowed++;
      return 200;
    };
    const started = Date.now();
    // Phase 1: 30 concurrent streams until the first refusal.
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (!stop) {
          const status = await send(seq++ % 3);
          if (status === 429) stop = true;
          else assert.equal(status, 200);
        }
      }),
    );
    // Phase 2: reservations were larger than the real usage; once reconciled there is room again.
    await sleep(300);
    for (let i = 0; ; i++) {
      const status = await send(i % 3);
      if (status === 429) break;
    }
    await sleep(300);
    const elapsed = Date.now() - started;
    const used = allowed * ACTUAL_TOKENS;
    t.diagnostic(`streams allowed ${allowed}, tokens used ${used} (L ${TPM_LIMIT}), ${elapsed} ms`);
    assert.ok(used <= TPM_LIMIT, `tokens used ${used} > L ${TPM_LIMIT}`);
    assert.ok(used >= TPM_LIMIT * 0.99, `tokens used ${used} < L − 1% (${allowed} requests)`);
    // The shared counter holds exactly the real usage: every reservation was reconciled.
    const counter = await redis.get(`${keyPrefix}rate-limit:t:${tenant}:m:tpm-model:${window}`);
    assert.equal(Number(counter), used);
    assert.ok(elapsed < 12_000, `the load fit in one window (${elapsed} ms)`);
  });
});
