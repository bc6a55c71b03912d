import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlugin, type PluginDefinition } from '../../plugin-api';
import {
  asCaller,
  createBackend,
  identityPlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type TestGateway,
} from '../../testing';
import { createLogger } from '../../services/createLogger';
import { createRedisStore } from '../../services/storage';
import { createMetrics } from '../createMetrics';
import { LiveMonitor, type MonitorView } from './LiveMonitor';

/**
 * GET /admin/v1/monitor: every instance publishes its rolling window (Redis on the shared setup,
 * in-process on the embedded default) and the route on any instance answers the merged figures.
 * Traffic comes from a plugin that answers `/v1/probe` with the status asked for and feeds the same
 * metrics the ai, cache and rate-limit plugins feed (cost, time to first token, breaker state).
 */
function trafficPlugin(): PluginDefinition {
  return definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'monitor-traffic',
    version: '0.0.0',
    core: '*',
    routePrefix: '',
    routes(router, ctx) {
      const cost = ctx.meter.counter('ai_cost_usd_total', 'cost', ['model', 'provider']);
      const ttft = ctx.meter.histogram(
        'ai_time_to_first_token_seconds',
        'ttft',
        ['model', 'provider'],
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120],
      );
      const breaker = ctx.meter.gauge('circuit_breaker_state', 'breaker', ['deployment']);
      const cache = ctx.meter.counter('cache_requests_total', 'cache', ['layer', 'result']);
      const limits = ctx.meter.counter('ratelimit_decisions_total', 'rl', ['outcome', 'level', 'dimension']);
      router.get(
        '/v1/probe',
        (c) => {
          const q = c.query as Record<string, string | undefined>;
          if (q.cost) cost.inc({ model: 'm', provider: 'p' }, Number(q.cost));
          if (q.ttft)
            (ttft as unknown as { observe(v: { labels: object; value: number }): void }).observe({
              labels: { model: 'm', provider: 'p' },
              value: Number(q.ttft),
            });
          if (q.breaker) breaker.set({ deployment: q.breaker }, Number(q.state ?? 2));
          if (q.cache) cache.inc({ layer: 'l1', result: q.cache });
          if (q.limited) limits.inc({ outcome: 'limited', level: 'tenant', dimension: 'requests' });
          c.status = Number(q.status ?? 200);
          c.body = { ok: true };
        },
        { auth: 'none', summary: 'monitor probe' },
      );
    },
  });
}

const superadmin = asCaller({ superadmin: true });
const monitorConfig = { telemetry: { monitor: { intervalMs: 500, windowSeconds: 120 } } };

async function view(gw: TestGateway, query = ''): Promise<MonitorView> {
  const res = await gw.fetch(`/admin/v1/monitor${query}`, { headers: superadmin });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as MonitorView;
}

async function send(gw: TestGateway, query: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await (await gw.fetch(`/v1/probe?${query}`)).arrayBuffer();
}

describe('GET /admin/v1/monitor on PostgreSQL + Redis, two instances', () => {
  let backend: Backend;
  let a: TestGateway;
  let b: TestGateway;

  before(async () => {
    backend = await createBackend('postgres');
    const config = { ...backend.config, ...monitorConfig };
    a = await startTestGateway({
      plugins: [identityPlugin(), trafficPlugin()],
      config: { ...config, telemetry: { monitor: { ...monitorConfig.telemetry.monitor, instanceId: 'gw-a' } } },
    });
    b = await startTestGateway({
      plugins: [identityPlugin(), trafficPlugin()],
      config: { ...config, telemetry: { monitor: { ...monitorConfig.telemetry.monitor, instanceId: 'gw-b' } } },
    });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await backend?.cleanup();
  });

  it('answers the sum of both instances on either, with a row per instance', async () => {
    await send(a, 'status=200&cost=0.25&ttft=0.03&cache=hit', 6);
    await send(a, 'status=500', 2);
    await send(b, 'status=200&cost=0.5&ttft=0.3&cache=miss', 3);
    await send(b, 'status=429&limited=1', 1);
    await send(b, 'status=404', 1);
    await send(b, 'breaker=azure-east&state=2');
    await waitFor(
      'both instances published their traffic',
      async () => (await view(a)).cluster.requests === 14,
      15_000,
      200,
    );
    for (const gw of [a, b]) {
      const v = await view(gw);
      assert.equal(v.source, 'redis');
      assert.equal(v.window_seconds, 60);
      assert.equal(v.cluster.requests, 14);
      assert.deepEqual(v.cluster.errors, { client: 1, rate_limited: 1, server: 2, total: 4 });
      assert.equal(v.cluster.spend_usd, 3);
      assert.equal(v.cluster.spend_per_minute_usd, 3);
      assert.deepEqual(v.cluster.cache, { hits: 6, misses: 3, hit_ratio: 0.6667 });
      assert.equal(v.cluster.rate_limited, 1);
      // 6 first tokens in (25 ms, 50 ms], 3 in (250 ms, 500 ms]: p50 lies among the fast ones.
      assert.ok(v.cluster.ttft_ms.p50! > 25 && v.cluster.ttft_ms.p50! <= 50, String(v.cluster.ttft_ms.p50));
      assert.ok(v.cluster.ttft_ms.p95! > 250 && v.cluster.ttft_ms.p95! <= 500, String(v.cluster.ttft_ms.p95));
      assert.ok(v.cluster.latency_ms.p95! > 0);
      assert.deepEqual(v.cluster.breakers, [
        { deployment: 'azure-east', state: 'open', open_instances: 1, half_open_instances: 0 },
      ]);
      assert.deepEqual(
        v.instances.map((i) => [i.instance_id, i.requests, i.spend_usd]),
        [
          ['gw-a', 8, 1.5],
          ['gw-b', 6, 1.5],
        ],
      );
      assert.equal(
        v.cluster.series.reduce((n, p) => n + p.requests, 0),
        14,
      );
    }
    // The wall's own polls (admin routes) are not traffic.
    assert.equal((await view(b)).cluster.requests, 14);
  });

  it('drops an instance that stops publishing once its TTL runs out; a clean stop leaves at once', async () => {
    // A third instance that "crashes": it publishes once and never withdraws.
    const store = createRedisStore({ url: backend.redisUrl!, prefix: backend.keyPrefix });
    const crashed = new LiveMonitor({
      metrics: createMetrics({ processMetrics: false }),
      store,
      logger: createLogger({ level: 'error', format: 'json', silent: true }),
      intervalMs: 500,
      windowSeconds: 120,
      instanceId: 'gw-crashed',
    });
    try {
      await crashed.start();
      await crashed.stop(false);
      // Views are shared for half an interval, so the new instance shows on the next one.
      await waitFor(
        'the third instance to show',
        async () => (await view(a)).instances.some((i) => i.instance_id === 'gw-crashed'),
        5000,
        100,
      );
      const since = Date.now();
      await waitFor(
        'the crashed instance to drop out',
        async () => !(await view(a)).instances.some((i) => i.instance_id === 'gw-crashed'),
        15_000,
        250,
      );
      const gone = Date.now() - since;
      assert.ok(gone >= crashed.ttlMs - 1000, `dropped after ${gone} ms, TTL ${crashed.ttlMs} ms`);
    } finally {
      await store.close();
    }
    await b.stop();
    await new Promise((r) => setTimeout(r, 300));
    const v = await view(a);
    assert.deepEqual(
      v.instances.map((i) => i.instance_id),
      ['gw-a'],
    );
    assert.equal(v.cluster.requests, 8);
  });

  it('refuses a bad window with problem+json, tenant admins with 403 and anonymous callers with 401', async () => {
    for (const q of ['?window=0', '?window=abc', '?window=100000', '?since=1']) {
      const res = await a.fetch(`/admin/v1/monitor${q}`, { headers: superadmin });
      assert.equal(res.status, 400, q);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      const body = (await res.json()) as { code: string; detail?: string };
      assert.equal(body.code, 'validation_failed');
    }
    assert.equal((await view(a, '?window=120')).window_seconds, 120);
    const owner = await a.fetch('/admin/v1/monitor', { headers: asCaller({ tenant: 't1', role: 'owner' }) });
    assert.equal(owner.status, 403);
    assert.equal(((await owner.json()) as { code: string }).code, 'platform_admin_required');
    assert.equal((await a.fetch('/admin/v1/monitor')).status, 401);
  });
});

describe('GET /admin/v1/monitor on the embedded default', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ plugins: [identityPlugin(), trafficPlugin()], config: monitorConfig });
  });
  after(async () => {
    await gw?.stop();
  });

  it('answers this process’s figures from memory', async () => {
    await send(gw, 'status=200&cost=0.1', 4);
    await send(gw, 'status=502');
    await waitFor(
      'the snapshot to include the traffic',
      async () => (await view(gw)).cluster.requests === 5,
      15_000,
      200,
    );
    const v = await view(gw);
    assert.equal(v.source, 'memory');
    assert.equal(v.instances.length, 1);
    assert.equal(v.cluster.errors.server, 1);
    assert.equal(v.cluster.spend_usd, 0.4);
    assert.equal(v.interval_ms, 500);
  });
});

describe('GET /admin/v1/monitor when Redis is gone', () => {
  let backend: Backend;
  let gw: TestGateway;
  before(async () => {
    backend = await createBackend('postgres');
    gw = await startTestGateway({ plugins: [identityPlugin()], config: { ...backend.config, ...monitorConfig } });
  });
  after(async () => {
    await gw?.stop();
    await backend?.cleanup();
  });

  it('answers 503 problem+json naming what is missing, not a bare 500', async () => {
    // The kernel's own connection: closing it is what an unreachable Redis looks like to the route.
    await (gw.kernel as unknown as { store: { close(): Promise<void> } }).store.close();
    await new Promise((r) => setTimeout(r, 600)); // past the shared answer
    const res = await gw.fetch('/admin/v1/monitor', { headers: superadmin });
    assert.equal(res.status, 503);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    const body = (await res.json()) as { code: string; detail: string };
    assert.equal(body.code, 'monitor_unavailable');
    assert.match(body.detail, /Redis \(redis\.url\) is unreachable/);
  });
});
