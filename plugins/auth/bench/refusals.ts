/**
 * What refusing a bad credential costs, against serving a good one: a short bounded load on loopback
 * (50 connections, a few seconds per case) through a route guarded by `ai:invoke` whose handler does
 * nothing, so the figures are the gateway's authentication path and error rendering.
 *
 *   node --conditions=aihub-source --import tsx plugins/auth/bench/refusals.ts [sqlite|postgres] [seconds-per-case]
 *
 * Cases: a valid key; random keys with a wrong checksum (refused by the parser); random well-formed
 * keys with a valid checksum or in the old format (a new id each request, so no cache helps); malformed
 * bearer values; JWT-shaped garbage; a valid key from an address that is over its failure limit.
 * The failure throttle is off for the first cases (`authFailures.perMinute: 0`) so they measure the
 * refusal itself; the last case turns it on in a second gateway.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { createTestDatabase } from '@aihub/core/testing';
import { definePlugin } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import auth, { generateApiKey } from '../src/index';
import { randomBase62 } from '../src/keyFormat';

const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const SECONDS = Math.min(Number(process.argv[3] ?? 4), 20);
const CONNECTIONS = 50;

const probe = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'auth-bench',
  version: '0.0.0',
  core: '^0.1.0',
  routePrefix: '',
  dependsOn: ['auth'],
  routes(router) {
    router.get(
      '/v1/bench/auth',
      (ctx) => {
        ctx.body = { ok: true };
      },
      { scopes: ['ai:invoke'], tags: ['ai'] },
    );
  },
});

const p = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;

/** `CONNECTIONS` loops for `SECONDS`, each sending `header()` and counting status codes. */
async function load(
  url: string,
  header: () => string,
): Promise<{ rps: number; p50: number; p99: number; cpuUs: number; statuses: Record<number, number> }> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const statuses: Record<number, number> = {};
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  let n = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const t = performance.now();
      const res = await pool.request({ path: '/v1/bench/auth', method: 'GET', headers: { authorization: header() } });
      await res.body.dump();
      latencies.push(performance.now() - t);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      n++;
    }
  };
  const started = performance.now();
  // CPU time of this process (gateway and load generator) per request: comparable across runs even
  // on a busy machine, where req/s and latency mostly measure the neighbours.
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return {
    rps: n / elapsed,
    p50: p(latencies, 0.5),
    p99: p(latencies, 0.99),
    cpuUs: (used.user + used.system) / n,
    statuses,
  };
}

async function gateway(db: { url: string }, adminKey: string, perMinute: number): Promise<TestGateway> {
  return startTestGateway({
    plugins: [tenancy, auth, probe],
    pluginConfig: {
      auth: {
        keySecret: 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz',
        issuer: 'http://aihub.bench',
        bootstrap: { adminKey, print: false },
        authFailures: { perMinute },
      },
    },
    config: {
      database: { url: db.url },
      ...(backend === 'postgres'
        ? { redis: { url: 'redis://127.0.0.1:6379', keyPrefix: `aihub-bench-${Date.now()}:` } }
        : {}),
      telemetry: { tracing: { sampleRatio: 0 } },
      logging: { level: 'error' },
    },
  });
}

async function main(): Promise<void> {
  const db = await createTestDatabase(backend);
  const adminKey = generateApiKey().key;
  let gw = await gateway(db, adminKey, 0);
  try {
    const tenants = (await (
      await gw.fetch('/admin/v1/tenants', { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { data: { id: string }[] };
    const created = await gw.fetch(`/admin/v1/tenants/${tenants.data[0].id}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    });
    const key = ((await created.json()) as { key: string }).key;
    const cases: [string, () => string][] = [
      ['valid key', () => `Bearer ${key}`],
      ['random key, wrong checksum', () => `Bearer ahk_${randomBase62(18)}_${randomBase62(43)}`],
      ['random key, valid checksum', () => `Bearer ${generateApiKey().key}`],
      ['random old-format key', () => `Bearer ahk_${randomBase62(12)}_${randomBase62(43)}`],
      ['malformed bearer', () => `Bearer ${randomBytes(24).toString('base64url')}`],
      [
        'JWT-shaped garbage',
        () =>
          `Bearer ${randomBytes(12).toString('base64url')}.${randomBytes(30).toString('base64url')}.${randomBytes(40).toString('base64url')}`,
      ],
    ];
    console.log(
      `${backend}${backend === 'postgres' ? ' + Redis' : ''}, ${CONNECTIONS} connections, ${SECONDS} s per case`,
    );
    for (const [name, header] of cases) {
      const r = await load(gw.url, header);
      console.log(
        `  ${name.padEnd(38)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  CPU ${r.cpuUs.toFixed(0)} µs/req  ${JSON.stringify(r.statuses)}`,
      );
    }
    await gw.stop();
    // With the failure throttle on (trustProxy so each case can pose as one client address).
    gw = await gateway(db, adminKey, 20);
    const attacker = await load(gw.url, () => `Bearer ${generateApiKey().key}`);
    console.log(
      `  ${'throttled: random keys from one IP'.padEnd(38)} ${attacker.rps.toFixed(0).padStart(6)} req/s  p50 ${attacker.p50.toFixed(2)} ms  CPU ${attacker.cpuUs.toFixed(0)} µs/req  ${JSON.stringify(attacker.statuses)}`,
    );
    const valid = await load(gw.url, () => `Bearer ${key}`);
    console.log(
      `  ${'throttled IP, valid key'.padEnd(38)} ${valid.rps.toFixed(0).padStart(6)} req/s  p50 ${valid.p50.toFixed(2)} ms  CPU ${valid.cpuUs.toFixed(0)} µs/req  ${JSON.stringify(valid.statuses)}`,
    );
  } finally {
    await gw.stop().catch(() => {});
    await db.drop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
