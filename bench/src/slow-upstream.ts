/**
 * `npm run bench:slow-upstream` (issue 14 item 17): many clients against an upstream answering in
 * BENCH_LATENCY_MS (default 1000 ms), through AI Hub (noauth profile: ai + usage on PostgreSQL and
 * Redis). Real completions take seconds, so what bounds throughput here is how many upstream calls
 * the gateway keeps in flight, not its CPU: ideal throughput is connections / latency. A fixed pool of
 * 128 connections per origin gave 119 req/s and p50 4.4 s at 600 clients and 1 s.
 * BENCH_CONNECTIONS (default 600), BENCH_SECONDS (default 10). Writes bench/results/slow-upstream.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@aihub/core';
import { dropRedisPrefix } from './lib/aihub';
import { endServersOnExit, load, repoRoot, round, startServer, stopServer } from './lib/load';

const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 600);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REDIS_URL = 'redis://127.0.0.1:6379';
const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 16 });

async function main() {
  endServersOnExit();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0', '--latency-ms', String(LATENCY)], {}, 1);
  const db = await createTestDatabase('postgres');
  const prefix = `aihub-bench-slow-${randomBytes(4).toString('hex')}:`;
  const gw = await startServer(['bench/src/aihub/gateway.ts', '0'], {
    BENCH_PROFILE: 'noauth',
    BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}`,
    BENCH_DB_URL: db.url,
    BENCH_REDIS_URL: REDIS_URL,
    BENCH_REDIS_PREFIX: prefix,
  });
  try {
    const url = `http://127.0.0.1:${gw.port}/v1/chat/completions`;
    const opts = { method: 'POST', body: CHAT, headers: { 'content-type': 'application/json' } };
    // The upstream alone first: the ceiling this machine's load generator reaches at this concurrency.
    const direct = await load(`http://127.0.0.1:${upstream.port}/v1/chat/completions`, { connections: CONNECTIONS, seconds: SECONDS, ...opts });
    await load(url, { connections: 50, seconds: 2, ...opts });
    const r = await load(url, { connections: CONNECTIONS, seconds: SECONDS, ...opts });
    const result = {
      direct: { rps: round(direct.rps, 1), p50ms: direct.p50, p99ms: direct.p99, errors: direct.errors },
      latencyMs: LATENCY,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rps: round(r.rps, 1),
      idealRps: round(CONNECTIONS / (LATENCY / 1000), 1),
      p50ms: r.p50,
      p99ms: r.p99,
      errors: r.errors,
      non2xx: r.non2xx,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'bench/results/slow-upstream.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopServer(gw.child);
    await stopServer(upstream.child);
    await dropRedisPrefix(REDIS_URL, prefix);
    await db.drop();
  }
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
