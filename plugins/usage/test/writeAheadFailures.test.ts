/**
 * Write-ahead failures. A request the write-ahead hook refuses (writeAhead.onFailure: reject, 503 metering_unavailable) is
 * never billed, although its pending record still reaches Redis after the refusal: ioredis'
 * commandTimeout only rejects the command's promise, the XADD stays in the socket buffer (or the
 * offline queue) and Redis runs it once the connection moves again. Real Redis behind a TCP proxy
 * that stalls it, the real ai plugin and the real consumer on PostgreSQL.
 *
 * The reject case holds the queue's buffered publishes back (flushIntervalMs of 10 minutes): the ai
 * plugin's own final record of the refused call is written through that buffer, and a gateway killed
 * right after the 503 never writes it. Only what the hook writes itself then follows the pending record.
 *
 * A pending write Redis refuses after its hand-off (a late failure) counts one write-ahead failure
 * per record it held, not one per write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AiCallKey,
  USAGE_TOPIC,
  type GatewayContext,
  type PluginContext,
  type PluginDefinition,
} from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  createDatabase,
  createRedisStore,
  identityPlugin,
  metricValue,
  probePlugin,
  startTestGateway,
  waitFor,
  type Backend,
} from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import type { UsageConfig } from '../src/config';
import type { UsageMetrics } from '../src/metrics';
import { writeAheadHook } from '../src/writeAhead';
import { startTcpProxy } from './helpers/tcpProxy';

const KEY = 'sk-mock-upstream-0123456789abcdef';
const PENDING_TIMEOUT_MS = 2500;

/** A gateway whose Redis (store and queue: one connection) goes through a proxy the test can stall. */
async function stalledGateway(backend: Backend, mock: MockUpstream, onFailure: string, flushIntervalMs: number) {
  const proxy = await startTcpProxy('127.0.0.1', Number(new URL(backend.redisUrl!).port || 6379));
  const probe = probePlugin();
  const gw = await startTestGateway({
    plugins: [identityPlugin(), aiPlugin as PluginDefinition, usagePlugin, probe.plugin],
    pluginConfig: {
      ai: {
        providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
        models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
        retry: { maxAttempts: 1 },
      },
      usage: {
        consumer: { blockMs: 50 },
        writeAhead: { onFailure },
        // A write-ahead record without its final is billed as interrupted 2.5 s after its request began
        // (the request waits 1 s for the hand-off, and the test stalls Redis ~1.5 s in all).
        pending: { timeoutMs: PENDING_TIMEOUT_MS, sweepIntervalMs: 100 },
      },
    },
    config: {
      ...backend.config,
      redis: { url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: backend.keyPrefix },
      queue: { flushIntervalMs },
    },
  });
  const client = probe.ctx().sharedStore.redisClient()!;
  return {
    gw,
    proxy,
    /**
     * Stalls Redis for this gateway: the proxy stops passing on what the gateway sends, and a large
     * write fills the socket buffers until the connection's userspace buffer holds data. A write made
     * now is not in the kernel, so its hand-off waits for Redis's answer (RedisStreamQueue).
     */
    async stall() {
      proxy.hold();
      const socket = (client as unknown as { stream: { writableLength: number } }).stream;
      for (let i = 0; i < 10 && socket.writableLength === 0; i++) {
        // Times out after 1 s like everything else on the connection; Redis runs it after release().
        client.set(`${backend.keyPrefix}filler`, 'x'.repeat(8 << 20)).catch(() => {});
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(socket.writableLength > 0, 'the connection is backed up');
    },
    chat: (key: string, headers: Record<string, string> = {}) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asCaller({ tenant: 'tw', key }), ...headers },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'meter me' }] }),
      }),
    async stop() {
      await gw.stop();
      await proxy.close();
    },
  };
}

/** The usage records in the stream for `keyId`, read from Redis directly (not through the proxy). */
async function streamed(backend: Backend, keyId: string) {
  const store = createRedisStore({ url: backend.redisUrl!, prefix: backend.keyPrefix });
  try {
    const entries = await store.redisClient()!.xrange(`${backend.keyPrefix}stream:${USAGE_TOPIC}`, '-', '+');
    return entries
      .map(([, fields]) => JSON.parse(fields[1]) as { keyId?: string; status: string; errorCode?: string })
      .filter((p) => p.keyId === keyId);
  } finally {
    await store.close();
  }
}

async function rows(backend: Backend, sql: string) {
  const db = createDatabase({ url: backend.databaseUrl });
  try {
    return (await db.sequelize.query(sql, { type: 'SELECT' })) as Record<string, unknown>[];
  } finally {
    await db.close();
  }
}

describe('a request refused by the write-ahead hook (Redis stalled)', () => {
  let mock: MockUpstream;
  const backends: Backend[] = [];
  const backend = async () => {
    const b = await createBackend('postgres');
    backends.push(b);
    return b;
  };

  before(async () => {
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 9, record: 0 });
  });

  after(async () => {
    await mock?.close();
    for (const b of backends) await b.cleanup();
  });

  it('onFailure reject: the pending record lands after the 503, and the request is billed nothing', async () => {
    const b = await backend();
    const g = await stalledGateway(b, mock, 'reject', 600_000);
    try {
      await g.stall();
      const started = Date.now();
      const res = await g.chat('k-refused');
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'metering_unavailable');
      assert.equal(mock.stats.received, 0, 'the upstream never saw it');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await streamed(b, 'k-refused'), [], 'nothing reached Redis before the refusal');
      g.proxy.release();

      // The reproduction: the pending record, refused 1 s after it was sent, reaches Redis anyway.
      await waitFor('the pending record in the stream', async () =>
        (await streamed(b, 'k-refused')).some((p) => p.status === 'pending'),
      );

      await waitFor(
        'the usage row',
        async () => (await rows(b, "SELECT 1 FROM usage_records WHERE key_id = 'k-refused'")).length > 0,
      );
      // Past the pending timeout and a few sweeps: an interrupted billing would have happened by now.
      await new Promise((r) => setTimeout(r, Math.max(0, started + PENDING_TIMEOUT_MS + 500 - Date.now())));
      const found = await rows(
        b,
        "SELECT status, http_status, error_code, prompt_tokens, total_tokens, cost_micros FROM usage_records WHERE key_id = 'k-refused'",
      );
      assert.equal(found.length, 1);
      assert.deepEqual(
        { ...found[0], cost_micros: Number(found[0].cost_micros) },
        {
          status: 'error',
          http_status: 503,
          error_code: 'metering_unavailable',
          prompt_tokens: 0,
          total_tokens: 0,
          cost_micros: 0,
        },
        'a refusal, billed nothing (not gateway_interrupted with the estimated prompt)',
      );
      assert.equal((await rows(b, 'SELECT request_id FROM usage_pending')).length, 0);
      const metrics = await (await g.gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_interrupted_total'), 0);
      assert.equal(metricValue(metrics, 'aihub_usage_write_ahead_failures_total'), 1);
      // The final record that bills nothing is the next entry after the pending record (same connection).
      const order = (await streamed(b, 'k-refused')).map((p) => p.errorCode ?? p.status);
      assert.deepEqual(order.slice(0, 2), ['pending', 'metering_unavailable']);
    } finally {
      await g.stop();
    }
  });

  it('onFailure continue: the request is served and billed by its final record', async () => {
    const b = await backend();
    const g = await stalledGateway(b, mock, 'continue', 5);
    try {
      await g.stall();
      const started = Date.now();
      const res = await g.chat('k-served');
      assert.equal(res.status, 200, 'served after the failed hand-off');
      const usage = ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
      g.proxy.release();
      await waitFor(
        'the usage row',
        async () =>
          (await rows(b, "SELECT 1 FROM usage_records WHERE key_id = 'k-served' AND status = 'success'")).length > 0,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, started + PENDING_TIMEOUT_MS + 500 - Date.now())));
      const found = await rows(
        b,
        "SELECT status, error_code, prompt_tokens, completion_tokens FROM usage_records WHERE key_id = 'k-served'",
      );
      assert.deepEqual(found, [
        {
          status: 'success',
          error_code: null,
          prompt_tokens: usage.prompt_tokens,
          completion_tokens: usage.completion_tokens,
        },
      ]);
      assert.ok(
        (await streamed(b, 'k-served')).some((p) => p.status === 'pending'),
        'its pending record landed too',
      );
      assert.equal((await rows(b, 'SELECT request_id FROM usage_pending')).length, 0);
      const metrics = await (await g.gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_usage_interrupted_total'), 0);
    } finally {
      await g.stop();
    }
  });
  it('onFailure reject, the ai plugin’s buffered final record written too: still one row, billed nothing', async () => {
    const b = await backend();
    const g = await stalledGateway(b, mock, 'reject', 5);
    try {
      await g.stall();
      // The caller names its request: its retry below carries the same x-request-id.
      const res = await g.chat('k-both', { 'x-request-id': 'client-retry-1' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('x-request-id'), 'client-retry-1');
      await res.arrayBuffer();
      g.proxy.release();
      await waitFor('the ai plugin’s final record in the stream', async () =>
        (await streamed(b, 'k-both')).some((p) => p.status === 'error' && !p.errorCode),
      );
      await waitFor(
        'the usage row',
        async () => (await rows(b, "SELECT 1 FROM usage_records WHERE key_id = 'k-both'")).length > 0,
      );
      await new Promise((r) => setTimeout(r, 500));
      const found = await rows(b, "SELECT error_code, total_tokens FROM usage_records WHERE key_id = 'k-both'");
      assert.deepEqual(found, [{ error_code: 'metering_unavailable', total_tokens: 0 }], 'the first final record wins');
      const metrics = await (await g.gw.fetch('/metrics')).text();
      assert.ok(metricValue(metrics, 'aihub_usage_duplicates_dropped_total') >= 1, 'the later one is a duplicate');
      assert.equal(metricValue(metrics, 'aihub_usage_interrupted_total'), 0);

      // The client retries with the same x-request-id once Redis is back: served, and billed. The
      // refusal is keyed by the gateway's own id of the refused request, not the caller's id, so the
      // retry's records are not duplicates of it.
      const retry = await g.chat('k-both', { 'x-request-id': 'client-retry-1' });
      assert.equal(retry.status, 200);
      const usage = ((await retry.json()) as { usage: { total_tokens: number } }).usage;
      await waitFor(
        'the retry’s usage row',
        async () =>
          (await rows(b, "SELECT 1 FROM usage_records WHERE key_id = 'k-both' AND status = 'success'")).length > 0,
      );
      const both = await rows(
        b,
        "SELECT error_code, total_tokens FROM usage_records WHERE key_id = 'k-both' ORDER BY created_at",
      );
      assert.deepEqual(both, [
        { error_code: 'metering_unavailable', total_tokens: 0 },
        { error_code: null, total_tokens: usage.total_tokens },
      ]);
    } finally {
      await g.stop();
    }
  });
});

describe('a pending write refused after its hand-off (Redis answers WRONGTYPE)', () => {
  it('counts one write-ahead failure per record of the write', async () => {
    const b = await createBackend('postgres');
    const probe = probePlugin();
    const gw = await startTestGateway({ plugins: [probe.plugin], config: b.config });
    try {
      const real = probe.ctx();
      // Every XADD to the usage stream fails in Redis, after the command left this process.
      await real.sharedStore.redisClient()!.set(`${b.keyPrefix}stream:${USAGE_TOPIC}`, 'not a stream');
      const counted: number[] = [];
      // Every record the hook writes, through the real queue. A served request must get no refusal
      // record: written ahead of its final record, that would make the final a dropped duplicate and
      // leave the request billed nothing, however late its write-ahead record failed.
      const written: { status?: string }[] = [];
      const queue = {
        publish: (topic: string, payload: { status?: string }) => {
          written.push(payload);
          real.queue.publish(topic, payload);
        },
        publishHandedOff: (topic: string, payloads: { status?: string }[]) => {
          written.push(...payloads);
          return real.queue.publishHandedOff(topic, payloads);
        },
      };
      const ctx = {
        config: { writeAhead: { enabled: true, onFailure: 'reject' } },
        logger: { warn: () => {}, error: () => {} },
        queue,
      } as unknown as PluginContext<UsageConfig>;
      const metrics = { writeAheadFailures: { inc: (n = 1) => counted.push(n) } } as unknown as UsageMetrics;
      const hook = writeAheadHook(ctx, metrics);
      const upstream: Promise<void>[] = [];
      const call = (id: string) => {
        const c = {
          state: { requestId: id, uid: id, startedAt: performance.now() },
          request: { body: { messages: [{ role: 'user', content: 'hello' }] } },
        } as unknown as GatewayContext;
        AiCallKey.set(c, { requestId: id, endpoint: 'chat.completions', model: 'm', stream: false } as never);
        return hook.handle(c, () => {
          const p = new Promise<void>((r) => setTimeout(r, 200));
          upstream.push(p);
          return p;
        }) as Promise<unknown>;
      };
      // The first call is alone (its record written by itself); the next four overlap it and share one write.
      const served = ['a', 'b', 'c', 'd', 'e'].map(call);
      await Promise.all(served);
      assert.equal(upstream.length, 5, 'all were handed off and served (the failure came after)');
      await waitFor('both writes refused', () => counted.length >= 2, 5000);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        written.map((p) => p.status),
        ['pending', 'pending', 'pending', 'pending', 'pending'],
        'only write-ahead records: no refusal for requests that were served',
      );
      assert.deepEqual(counted.sort(), [1, 4], 'one per record: the write alone and the batch of four');
    } finally {
      await gw.stop();
      await b.cleanup();
    }
  });
});
