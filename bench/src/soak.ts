/**
 * `npm run bench:soak` (issue 20): is AI Hub's memory flat over many requests? One process doing
 * everything a small deployment does (the `full` profile: key auth, tenancy, ai, usage enqueued AND
 * consumed in-process, tracing at 10 %, metrics; PostgreSQL and Redis) takes BENCH_SOAK_REQUESTS
 * (default 1,000,000) requests at BENCH_CONNECTIONS (default 50), in ten equal slices. Its RSS is
 * read after each slice (and the heap, after a full GC, when BENCH_SOAK_GC=1), and the verdict
 * compares the last slice with the second (the first includes warm-up and lazy loads): flat when
 * it grew by at most 10 %. Usage rows written are checked against answers (none lost). Not a CI
 * test: a million requests take an hour or more here; `BENCH_SOAK_REQUESTS=20000` shows it works.
 * Writes bench/results/soak.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDatabase, createTestDatabase, type Database } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import { endServersOnExit, load, pinSelf, repoRoot, round, rssMb, startServer, stopServer } from './lib/load';
import { CHAT } from './lib/bodies';

const REQUESTS = Number(process.env.BENCH_SOAK_REQUESTS ?? 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const GC = process.env.BENCH_SOAK_GC === '1';
const SLICES = 10;
const REDIS_URL = 'redis://127.0.0.1:6379';

/** Usage rows written so far, waiting (≤ 120 s) for the in-process consumer to reach `expected`. */
async function usageRows(db: Database, expected: number): Promise<number> {
  let rows = 0;
  for (let i = 0; i < 240; i++) {
    const [[row]] = (await db.sequelize.query('SELECT count(*) AS n FROM usage_records')) as [{ n: string }[], unknown];
    rows = Number(row.n);
    if (rows >= expected) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return rows;
}

/** The gateway's heap after a full GC (its `memory {json}` line on SIGUSR2; needs --expose-gc). */
function heapAfterGc(child: import('node:child_process').ChildProcess): Promise<number | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5000);
    const onData = (d: Buffer) => {
      const m = /memory (\{.*\})/.exec(String(d));
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve((JSON.parse(m[1]) as { heapUsed: number }).heapUsed);
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR2');
  });
}

async function main() {
  pinSelf(1);
  endServersOnExit();
  const sink = await otlpSink();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
  const db = await createTestDatabase('postgres');
  const meterDb = createDatabase({ url: db.url, pool: { max: 1 } });
  const prefix = `aihub-bench-soak-${randomBytes(4).toString('hex')}:`;
  const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
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
    BENCH_NODE_EXTRA: GC ? '--expose-gc' : '',
  });
  try {
    const base = `http://127.0.0.1:${gw.port}`;
    const idle = rssMb(gw.child.pid!);
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${(await credentials(base, adminKey)).key}`,
    };
    const per = Math.ceil(REQUESTS / SLICES);
    const slices: { requests: number; rps: number; errors: number; rssMb: number; heapMb?: number }[] = [];
    let answers = 0;
    const t0 = performance.now();
    for (let i = 0; i < SLICES; i++) {
      const r = await load(`${base}/v1/chat/completions`, {
        connections: CONNECTIONS,
        seconds: 0,
        amount: per,
        method: 'POST',
        body: CHAT,
        headers,
      });
      answers += r.total;
      const slice = {
        requests: answers,
        rps: round(r.rps),
        errors: r.errors + r.non2xx,
        rssMb: rssMb(gw.child.pid!),
        heapMb: GC ? await heapAfterGc(gw.child) : undefined,
      };
      slices.push(slice);
      process.stdout.write(
        `${String(answers).padStart(9)} requests  ${String(slice.rps).padStart(7)} req/s  RSS ${slice.rssMb} MB${slice.heapMb !== undefined ? `  heap after GC ${slice.heapMb} MB` : ''}  errors ${slice.errors}\n`,
      );
    }
    const landed = await usageRows(meterDb, answers);
    const from = slices[Math.min(1, slices.length - 1)].rssMb;
    const to = slices.at(-1)!.rssMb;
    const growth = round((to - from) / from, 3);
    const result = {
      requests: answers,
      connections: CONNECTIONS,
      minutes: round((performance.now() - t0) / 60_000, 1),
      rssIdleMb: idle,
      slices,
      rssGrowth: { fromMb: from, toMb: to, share: growth, flat: growth <= 0.1 },
      usage: { answers, rowsLanded: landed, ok: landed >= answers },
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    process.stdout.write(
      `\nRSS ${from} → ${to} MB from the second slice to the last (${(growth * 100).toFixed(1)} %): ${result.rssGrowth.flat ? 'flat' : 'GROWING'}; ` +
        `usage rows ${landed} for ${answers} answers${result.usage.ok ? ' ok' : '  << MISSING'}; load average ${result.loadAverage}\n`,
    );
    mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'bench/results/soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await stopServer(gw.child);
    await stopServer(upstream.child);
    await dropRedisPrefix(REDIS_URL, prefix);
    sink.close();
    await meterDb.close();
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
