/**
 * `node --conditions=aihub-source --import tsx bench/src/latency-ab.ts`: one-connection latency of
 * two versions of AI Hub's gateway (this checkout and BENCH_AB_ROOT, another checkout, built, with
 * its node_modules) and the bare proxy, all live for the whole run and measured in interleaved
 * rounds (each round in the other order): p50 of a chat completion, first byte of a streamed one,
 * CPU time per request of each server (/proc), and where each server's time went inside it
 * (lib/stageTimes.cjs: request → upstream call, upstream headers / first chunk → first byte
 * written), which the machine's load distorts far less than the client-side figures.
 *
 * Without BENCH_AB_ROOT, this checkout's gateway is measured alone against the bare proxy.
 * BENCH_ROUNDS (6), BENCH_SECONDS (2, per probe), BENCH_ONLY (`json` or `stream`). Full profile,
 * key auth, serving role (usage enqueued, not consumed), PostgreSQL and Redis as `npm run bench`.
 * Build first (`npm run build`): the gateways run from dist/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import {
  NODE_TUNING,
  cpuMs,
  endServersOnExit,
  latencyProbe,
  load,
  pinSelf,
  pinned,
  repoRoot,
  startServer,
  stopServer,
  track,
  ttfbProbe,
} from './lib/load';
import { CHAT, STREAM } from './lib/bodies';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ONLY = process.env.BENCH_ONLY;
const OTHER = process.env.BENCH_AB_ROOT ? path.resolve(process.env.BENCH_AB_ROOT) : undefined;
const REDIS_URL = 'redis://127.0.0.1:6379';
const STAGES = path.join(__dirname, 'lib/stageTimes.cjs');

interface Side {
  name: string;
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
  stagesFile: string;
  prefix?: string;
  db?: string;
}

/** This checkout's bench gateway as plain JavaScript inside `root`, so it loads `root`'s packages. */
function gatewayEntry(root: string): string {
  const js = ts.transpileModule(readFileSync(path.join(repoRoot, 'bench/src/aihub/gateway.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const out = path.join(root, 'bench/dist/gateway-ab.js');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, js);
  return out;
}

function startGateway(root: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, argv] = pinned(0, process.execPath, [...NODE_TUNING, '--require', STAGES, gatewayEntry(root), '0']);
  const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`gateway in ${root} exited with ${code}: ${err.slice(-2000)}`)));
  });
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  pinSelf(1);
  endServersOnExit();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aihub-latency-ab-'));
  const sink = await otlpSink();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
  const sides: Side[] = [];
  try {
    const bareStages = path.join(dir, 'bare.json');
    const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl], {
      BENCH_NODE_EXTRA: `--require ${STAGES}`,
      STAGE_TIMES_OUT: bareStages,
    });
    const roots: [string, string][] = [['this checkout', repoRoot]];
    if (OTHER) roots.push(['other checkout', OTHER]);
    for (const [name, root] of roots) {
      const db = `aihub_latency_ab_${randomBytes(4).toString('hex')}`;
      execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-c', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
      const prefix = `aihub-latency-ab-${randomBytes(4).toString('hex')}:`;
      const stagesFile = path.join(dir, `${sides.length}.json`);
      const gw = await startGateway(root, {
        BENCH_PROFILE: 'full',
        BENCH_ROLE: 'api',
        BENCH_UPSTREAM: upstreamUrl,
        BENCH_DB_URL: `postgres://postgres@127.0.0.1:5432/${db}`,
        BENCH_REDIS_URL: REDIS_URL,
        BENCH_REDIS_PREFIX: prefix,
        BENCH_OTLP: sink.url,
        AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
        STAGE_TIMES_OUT: stagesFile,
      });
      const base = `http://127.0.0.1:${gw.port}`;
      const key = (await credentials(base, adminKey)).key;
      sides.push({
        name,
        url: `${base}/v1/chat/completions`,
        headers: { authorization: `Bearer ${key}` },
        child: gw.child,
        stagesFile,
        prefix,
        db,
      });
    }
    sides.push({
      name: 'bare proxy',
      url: `http://127.0.0.1:${bare.port}/v1/chat/completions`,
      headers: {},
      child: bare.child,
      stagesFile: bareStages,
    });
    const opts = (h: Record<string, string>) => ({
      method: 'POST',
      body: CHAT,
      headers: { 'content-type': 'application/json', ...h },
    });
    for (const s of sides) await load(s.url, { connections: 10, seconds: 3, ...opts(s.headers) }); // warm-up
    const figures = new Map(sides.map((s) => [s, { p50: [] as number[], ttfb: [] as number[], cpu: [] as number[] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        const f = figures.get(s)!;
        const pid = s.child.pid!;
        const cpu0 = cpuMs(pid);
        let count = 0;
        if (ONLY !== 'stream') {
          const one = await latencyProbe(s.url, { seconds: SECONDS, ...opts(s.headers) });
          f.p50.push(one.p50);
          count += one.count;
        }
        if (ONLY !== 'json') {
          const tt = await ttfbProbe(s.url, { seconds: SECONDS, body: STREAM, headers: s.headers });
          f.ttfb.push(tt.p50);
          count += tt.count;
        }
        f.cpu.push(((cpuMs(pid) - cpu0) * 1000) / count);
      }
      process.stdout.write(`round ${r + 1}/${ROUNDS} (load average ${loadAverage()})\n`);
    }
    for (const s of sides) await stopServer(s.child); // the stage times are written at exit
    const bareSide = sides.at(-1)!;
    const paired = (s: Side, k: 'p50' | 'ttfb') =>
      median(figures.get(s)![k].map((v, i) => v - figures.get(bareSide)![k][i])).toFixed(3);
    for (const s of sides) {
      const f = figures.get(s)!;
      const ms = (xs: number[]) => (xs.length ? `${median(xs).toFixed(3)} ms` : '-');
      process.stdout.write(
        `${s.name.padEnd(15)} p50 ${ms(f.p50)} · stream first byte ${ms(f.ttfb)} · CPU ${Math.round(median(f.cpu))} µs/request` +
          (s === bareSide
            ? '\n'
            : ` · over the bare proxy (paired): p50 ${paired(s, 'p50')} ms, first byte ${paired(s, 'ttfb')} ms\n`),
      );
      let stages = '(no stage times)';
      try {
        stages = readFileSync(s.stagesFile, 'utf8');
      } catch {}
      process.stdout.write(`  stages (ms, medians in the server): ${stages}\n`);
    }
    process.stdout.write(`load average ${loadAverage()}\n`);
  } finally {
    for (const s of sides) await stopServer(s.child);
    await stopServer(upstream.child);
    sink.close();
    for (const s of sides) {
      if (s.prefix) await dropRedisPrefix(REDIS_URL, s.prefix);
      if (s.db)
        execFileSync(
          'psql',
          ['-h', '127.0.0.1', '-U', 'postgres', '-c', `DROP DATABASE IF EXISTS ${s.db} WITH (FORCE)`],
          {
            stdio: 'ignore',
          },
        );
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
