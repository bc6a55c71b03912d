import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@aihub/core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import health from '@aihub/plugin-health';
import { freePort, waitFor } from './support';

/** A Redis server of this test's own, so stopping it affects nothing else on the machine. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitFor(
    async () => {
      const net = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    },
    10_000,
    'redis-server to listen',
  );
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('kernel on PostgreSQL + Redis: readiness follows its dependencies', () => {
  let db: TestDatabase;
  let redis: ChildProcess;
  let redisPort: number;
  let gw: TestGateway;

  before(async () => {
    db = await createTestDatabase('postgres');
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    gw = await startTestGateway({
      plugins: [health],
      pluginConfig: { health: { cacheMs: 0, details: { access: 'token', token: 'test-health-token-123456' } } },
      config: { database: { url: db.url }, redis: { url: `redis://127.0.0.1:${redisPort}` } },
    });
  });
  after(async () => {
    await gw?.stop();
    if (redis) await stop(redis);
    await db?.drop();
  });

  it('is ready with PostgreSQL, Redis and the Redis Streams queue', async () => {
    const res = await gw.fetch('/health/ready');
    assert.equal(res.status, 200);
    const details = await gw.fetch('/health/details', {
      headers: { authorization: 'Bearer test-health-token-123456' },
    });
    assert.equal(details.status, 200);
    const body = (await details.json()) as {
      checks: { plugin: string; name: string; ok: boolean; latencyMs: number; details?: Record<string, unknown> }[];
    };
    const byName = Object.fromEntries(body.checks.map((c) => [`${c.plugin}:${c.name}`, c]));
    assert.equal(byName['core:database'].details?.dialect, 'postgres');
    assert.equal(byName['core:queue'].details?.kind, 'redis');
    assert.ok(byName['core:redis'].ok);
    assert.equal(typeof byName['core:redis'].latencyMs, 'number');
  });

  it('protects /health/details', async () => {
    assert.equal((await gw.fetch('/health/details')).status, 401);
    assert.equal(
      (await gw.fetch('/health/details', { headers: { authorization: 'Bearer wrong-token-000000000' } })).status,
      401,
    );
  });

  it('answers 503 naming core:redis while Redis is down, and recovers when it returns', async () => {
    await stop(redis);
    await waitFor(async () => (await gw.fetch('/health/ready')).status === 503, 10_000, 'readiness to fail');
    const res = await gw.fetch('/health/ready');
    assert.deepEqual(await res.json(), { status: 'unavailable' });
    // Liveness is not readiness: the process still serves.
    assert.equal((await gw.fetch('/health/live')).status, 200);
    const details = (await (
      await gw.fetch('/health/details', { headers: { authorization: 'Bearer test-health-token-123456' } })
    ).json()) as { checks: { name: string; lastError?: { message: string } }[] };
    assert.ok(details.checks.find((c) => c.name === 'redis')?.lastError?.message);
    redis = await startRedis(redisPort);
    await waitFor(async () => (await gw.fetch('/health/ready')).status === 200, 15_000, 'readiness to recover');
  });
});
