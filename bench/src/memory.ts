/**
 * `npm run bench:memory` (issue 20): AI Hub's RSS as ONE process doing what a small deployment does
 * (bench/src/aihub/gateway.ts, `BENCH_ROLE=single`: PostgreSQL + Redis, key auth, tenancy, ai, usage
 * consumed in-process, tracing at 10 %, metrics), A/B across variants, interleaved so the machine's
 * drift falls on every variant alike. Per run: RSS 10 s after start (idle), the `memory {json}`
 * report (heap spaces, loaded modules), then — unless BENCH_MEMORY_LOAD_SECONDS=0 — 50 connections
 * for that many seconds (default 15): req/s and the median / peak RSS sampled every 250 ms, then
 * RSS once idle again (BENCH_MEMORY_IDLE_MS later, as the idle reading), then RSS and heap after a
 * full GC (per-request retention shows as heap growth). Also CPU ms per request of the gateway (/proc),
 * and at the load's midpoint the RSS split into anonymous memory (V8's heap, malloc) and file pages
 * (the node binary's touched pages, shared libraries): `/proc/<pid>/smaps_rollup`, `midAnon` / `midFile`.
 *
 * Variants: BENCH_MEMORY_VARIANTS, `;`-separated `name=space-separated node flags` (default: one
 * variant with the production flags, `prod=`). BENCH_MEMORY_ROUNDS (default 3). BENCH_MEMORY_RUNTIME: the
 * gateway's Node major (default this process's; others from the npm registry's `node` package). Prints medians.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createTestDatabase } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import {
  cpuMs,
  endServersOnExit,
  load,
  NODE_TUNING,
  pinSelf,
  repoRoot,
  rssMb,
  rssSampler,
  startServer,
  stopServer,
  useRuntime,
} from './lib/load';
import { CHAT } from './lib/bodies';

const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 3);
const LOAD_SECONDS = Number(process.env.BENCH_MEMORY_LOAD_SECONDS ?? 15);
const IDLE_MS = Number(process.env.BENCH_MEMORY_IDLE_MS ?? 10_000);
/** BENCH_MEMORY_RATE: requests per second over the 50 connections (default: as fast as served). A fixed rate gives every variant the same work per second, so CPU per request compares on a busy machine. */
const RATE = Number(process.env.BENCH_MEMORY_RATE ?? 0);
const REDIS_URL = 'redis://127.0.0.1:6379';

interface Variant {
  name: string;
  /** Extra node flags (after the production ones). */
  flags: string;
  /** Extra environment. */
  env: Record<string, string>;
}

/** `name=flags` or `name=flags|ENV=v,ENV2=w` entries, `;`-separated. */
function variants(): Variant[] {
  const spec = process.env.BENCH_MEMORY_VARIANTS ?? 'prod=';
  return spec.split(';').map((entry) => {
    const at = entry.indexOf('=');
    const [name, rest] = at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    const [flags, envSpec = ''] = rest.split('|');
    const env = Object.fromEntries(
      envSpec
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    return { name, flags, env };
  });
}

/** The gateway's `memory {json}` line (BENCH_MEMORY_REPORT=1, on SIGUSR2). */
function memoryReport(child: import('node:child_process').ChildProcess): Promise<Record<string, number> | undefined> {
  return new Promise((resolve) => {
    // Long enough for a heap snapshot first (BENCH_HEAP_SNAPSHOT).
    const timer = setTimeout(() => resolve(undefined), 60_000);
    const onData = (d: Buffer) => {
      const m = /memory (\{.*\})/.exec(String(d));
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(JSON.parse(m[1]) as Record<string, number>);
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR2');
  });
}

/** Anonymous and file-backed resident MB of a process (`/proc/<pid>/smaps_rollup`; NaN once it has exited). */
function rssSplit(pid: number): { anon: number; file: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    const anon = kb('Anonymous');
    return { anon: Math.round(anon / 102.4) / 10, file: Math.round((kb('Rss') - anon) / 102.4) / 10 };
  } catch {
    return { anon: NaN, file: NaN };
  }
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

async function main() {
  pinSelf(1);
  endServersOnExit();
  const major = process.env.BENCH_MEMORY_RUNTIME;
  if (major && major !== process.versions.node.split('.')[0])
    useRuntime(
      execFileSync('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], {
        encoding: 'utf8',
        cwd: repoRoot,
      }).trim(),
    );
  const sink = await otlpSink();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
  const db = await createTestDatabase('postgres');
  const vs = variants();
  // One bootstrap admin for every gateway: the first creates it, the later ones find it in the database.
  const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
  const results = new Map<string, Record<string, number>[]>(vs.map((v) => [v.name, []]));
  process.stdout.write(`production flags: ${NODE_TUNING.join(' ')}; gateway on node ${major ?? process.version}\n`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of vs) {
        const prefix = `aihub-bench-mem-${randomBytes(4).toString('hex')}:`;
        const gw = await startServer(['bench/src/aihub/gateway.ts', '0'], {
          BENCH_PROFILE: 'full',
          BENCH_ROLE: 'single',
          BENCH_UPSTREAM: `http://127.0.0.1:${upstream.port}`,
          BENCH_DB_URL: db.url,
          BENCH_REDIS_URL: REDIS_URL,
          BENCH_REDIS_PREFIX: prefix,
          BENCH_OTLP: sink.url,
          AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
          BENCH_MEMORY_REPORT: '1',
          BENCH_NODE_EXTRA: `--expose-gc ${v.flags}`,
          ...v.env,
        });
        try {
          const pid = gw.child.pid!;
          await new Promise((r) => setTimeout(r, IDLE_MS));
          const row: Record<string, number> = { idle: rssMb(pid) };
          const idleReport = await memoryReport(gw.child);
          row.idleHeapGc = idleReport?.heapUsed ?? NaN;
          row.idleAfterGc = idleReport?.rss ?? NaN;
          row.modules = idleReport?.modules ?? NaN;
          if (LOAD_SECONDS > 0) {
            const url = `http://127.0.0.1:${gw.port}`;
            const { key } = await credentials(url, adminKey);
            const sampler = rssSampler(pid);
            const cpu0 = cpuMs(pid);
            let mid = { anon: NaN, file: NaN };
            const midTimer = setTimeout(() => (mid = rssSplit(pid)), (LOAD_SECONDS * 1000) / 2);
            const r = await load(`${url}/v1/chat/completions`, {
              connections: 50,
              seconds: LOAD_SECONDS,
              rate: RATE || undefined,
              method: 'POST',
              body: CHAT,
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            });
            clearTimeout(midTimer);
            const { samples, peak } = sampler.stop();
            // CPU ms per request of the gateway: the throughput proxy least moved by the machine's other load.
            const cpuPerReq = Math.round(((cpuMs(pid) - cpu0) / Math.max(1, r.total)) * 1000) / 1000;
            Object.assign(row, {
              rps: Math.round(r.rps),
              cpuPerReq,
              errors: r.errors + r.non2xx,
              steady: median(samples),
              peak,
              midAnon: mid.anon,
              midFile: mid.file,
              loadavg: Math.round(loadavg()[0] * 10) / 10,
            });
            // Idle again: what the process keeps once the load has stopped (the idle trim's second case).
            await new Promise((res) => setTimeout(res, IDLE_MS));
            row.idleAfterLoad = rssMb(pid);
            const after = await memoryReport(gw.child);
            row.heapGcAfterLoad = after?.heapUsed ?? NaN;
            row.rssGcAfterLoad = after?.rss ?? NaN;
            // GC work per 1,000 requests (young = scavenges; old includes the idle report's and the idle trim's few).
            const per1k = (k: string) =>
              Math.round(((after?.[k] ?? NaN) - (idleReport?.[k] ?? NaN)) * (1000 / r.total) * 10) / 10;
            Object.assign(row, {
              youngPer1k: per1k('gcYoung'),
              youngMsPer1k: per1k('gcYoungMs'),
              old: (after?.gcOld ?? NaN) - (idleReport?.gcOld ?? NaN),
              oldMsPer1k: per1k('gcOldMs'),
            });
          }
          results.get(v.name)!.push(row);
          process.stdout.write(`round ${round + 1} ${v.name.padEnd(16)} ${JSON.stringify(row)}\n`);
        } finally {
          await stopServer(gw.child);
          await dropRedisPrefix(REDIS_URL, prefix);
        }
      }
    }
  } finally {
    await stopServer(upstream.child);
    sink.close();
    await db.drop();
  }
  process.stdout.write('\nmedians\n');
  for (const [name, rows] of results) {
    const keys = Object.keys(rows[0] ?? {});
    const med = Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]))]));
    process.stdout.write(`${name.padEnd(16)} ${JSON.stringify(med)}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
