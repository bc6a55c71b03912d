/**
 * Scaling of `aihub start --workers N`: the same gateway (PostgreSQL, Redis, the built-in mock
 * provider, no auth) at 1 worker, then 2, under the same load; prints req/s, p50/p99 and the ratio.
 *
 *   npm run bench:workers                       # BENCH_WORKERS=1,2 BENCH_SECONDS=15 BENCH_CONNECTIONS=50
 *
 * The load generator shares the machine with the workers (on 2 cores it takes part of one): the
 * ratio, not the absolute figure, is the result. The load average is printed beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@aihub/core/testing';
import { dropRedisPrefix } from './lib/aihub';
import { endServersOnExit, load, repoRoot, round, stopServer, track } from './lib/load';

const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startCluster(file: string, workers: number, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--max-semi-space-size=32',
      '--conditions=aihub-source',
      '--import',
      'tsx',
      path.join(repoRoot, 'core/src/cli.ts'),
      'start',
      '--config',
      file,
      '--workers',
      String(workers),
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, AIHUB_PORT: '', AIHUB_CONFIG: '', AIHUB_WORKERS: '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  track(child);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => (r.ok ? r.text() : ''),
      () => '',
    );
    const ready =
      workers === 1
        ? text.includes('aihub_http_requests')
        : new RegExp(`aihub_cluster_workers\\{state="ready"\\} ${workers}\\b`).test(text);
    if (ready) return child;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the gateway with ${workers} workers did not start`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main(): Promise<void> {
  endServersOnExit();
  const dir = mkdtempSync(path.join(tmpdir(), 'aihub-bench-workers-'));
  const db = await createTestDatabase('postgres');
  const prefix = `aihub-bench-workers-${process.pid}:`;
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });
  const rows: { workers: number; rps: number; p50: number; p99: number; errors: number; load: string }[] = [];
  try {
    for (const workers of WORKERS) {
      const port = await freePort();
      const file = path.join(dir, `w${workers}.yaml`);
      writeFileSync(
        file,
        `server: { host: 127.0.0.1, port: ${port} }
dataDir: ${dir}
database: { url: "${db.url}", migrate: auto }
redis: { url: "${REDIS}", keyPrefix: "${prefix}" }
logging: { level: warn, format: json }
plugins:
  - name: ai
    config:
      requireAuth: false
      providers: { mock: { type: mock } }
      models: { gpt-4o-mini: { deployments: [{ provider: mock, model: gpt-4o-mini }] } }
`,
      );
      const child = await startCluster(file, workers, port);
      const url = `http://127.0.0.1:${port}/v1/chat/completions`;
      const opts = { connections: CONNECTIONS, method: 'POST', body, headers: { 'content-type': 'application/json' } };
      await load(url, { ...opts, seconds: 3 }); // warm-up: JIT, pools
      const r = await load(url, { ...opts, seconds: SECONDS });
      rows.push({
        workers,
        rps: round(r.rps, 0),
        p50: r.p50,
        p99: r.p99,
        errors: r.errors + r.non2xx,
        load: loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      });
      await stopServer(child);
    }
  } finally {
    await db.drop();
    await dropRedisPrefix(REDIS, prefix).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\naihub start --workers N: POST /v1/chat/completions (mock provider), ${CONNECTIONS} connections, ${SECONDS} s, sources via tsx`,
  );
  console.log('| workers | req/s | ×1 worker | p50 ms | p99 ms | errors | load average (1/5/15 min) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.workers} | ${r.rps} | ${round(r.rps / rows[0].rps)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.load} |`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
