/**
 * `node --conditions=aihub-source --import tsx bench/src/runtime-ab.ts`: the same servers on two
 * Node runtimes, all live for the whole run and measured in interleaved rounds (each round in the
 * other order): req/s and CPU time per request (/proc) of each at 50 connections, either as fast as
 * served or at a fixed rate (BENCH_RATE, req/s: per-request CPU then compares like with like, as
 * fixed costs per second are spread over the same number of requests), and each runtime's figures
 * divided by the first runtime's of the same server, per round (medians). AI Hub variants print
 * their GC counts and heap at the end (the gateway's memory report).
 *
 * BENCH_VARIANTS (comma-separated; default `aihub20,aihub24,bare20,bare24,peer20,peer24`): a server
 * (`aihub`: one process doing everything, usage consumed in-process; `aihub-api`: the serving role;
 * `bare`; `peer`), the Node major, and optionally `s<MB>` for another --max-semi-space-size (e.g.
 * `aihub24s64`). BENCH_ROUNDS (6), BENCH_SECONDS (4), BENCH_RATE (unset: as fast as served),
 * BENCH_IDLE_TRIM_MS (AI Hub's idle trim, default 0 here: an idle server's full GC would run on the
 * core the measured one uses), BENCH_CONNECTIONS (50; 1 compares the one-connection path), BENCH_CPU_PROF (a directory: a V8 CPU profile per server, in
 * `<dir>/<variant>/`). Build first (`npm run build`): the servers run from dist/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createTestDatabase } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import { cpuMs, endServersOnExit, load, nodeBinary, pinSelf, startServer, stopServer, useRuntime } from './lib/load';
import { CHAT } from './lib/bodies';
import { startPeer } from './peer/startPeer';

const VARIANTS = (process.env.BENCH_VARIANTS ?? 'aihub20,aihub24,bare20,bare24,peer20,peer24').split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const PROF = process.env.BENCH_CPU_PROF;
const REDIS_URL = 'redis://127.0.0.1:6379';

interface Side {
  name: string;
  kind: string;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  prefix?: string;
  rps: number[];
  cpu: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main() {
  delete process.env.BENCH_CPU_PROF; // startServer would profile every server, the upstream too
  pinSelf(1);
  endServersOnExit();
  const sink = await otlpSink();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const db = await createTestDatabase('postgres');
  const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
  const sides: Side[] = [];
  try {
    for (const name of VARIANTS) {
      const m = /^(aihub-api|aihub|bare|peer)(\d+)(?:s(\d+))?$/.exec(name);
      if (!m) throw new Error(`BENCH_VARIANTS: ${name} is not <aihub|aihub-api|bare|peer><major>[s<MB>]`);
      const [, kind, major, semi] = m;
      const profDir = PROF ? path.resolve(PROF, name) : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      const extra = [
        ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        ...(semi ? [`--max-semi-space-size=${semi}`] : []),
      ].join(' ');
      useRuntime(nodeBinary(major));
      try {
        const side = { name, kind, rps: [] as number[], cpu: [] as number[] };
        if (kind === 'bare') {
          const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl], {
            BENCH_NODE_EXTRA: extra,
          });
          sides.push({
            ...side,
            child: bare.child,
            url: `http://127.0.0.1:${bare.port}/v1/chat/completions`,
            headers: {},
          });
        } else if (kind === 'peer') {
          if (extra) process.stdout.write(`(${name}: the peer runs without profile and semi-space flags)\n`);
          const peer = await startPeer(upstreamUrl);
          sides.push({ ...side, child: peer.child, url: peer.url, headers: peer.headers });
        } else {
          const prefix = `aihub-runtime-ab-${randomBytes(4).toString('hex')}:`;
          const gw = await startServer(['bench/src/aihub/gateway.ts', '0'], {
            BENCH_PROFILE: 'full',
            BENCH_ROLE: kind === 'aihub' ? 'single' : 'api',
            BENCH_UPSTREAM: upstreamUrl,
            BENCH_DB_URL: db.url,
            BENCH_REDIS_URL: REDIS_URL,
            BENCH_REDIS_PREFIX: prefix,
            BENCH_OTLP: sink.url,
            BENCH_MEMORY_REPORT: '1',
            BENCH_IDLE_TRIM_MS: process.env.BENCH_IDLE_TRIM_MS ?? '0',
            BENCH_NODE_EXTRA: extra,
            AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
          });
          const base = `http://127.0.0.1:${gw.port}`;
          const key = (await credentials(base, adminKey)).key;
          sides.push({
            ...side,
            child: gw.child,
            url: `${base}/v1/chat/completions`,
            headers: { authorization: `Bearer ${key}` },
            prefix,
          });
        }
      } finally {
        useRuntime(process.execPath);
      }
    }
    const opts = (s: Side) => ({
      method: 'POST',
      body: CHAT,
      headers: { 'content-type': 'application/json', ...s.headers },
      ...(RATE ? { rate: RATE } : {}),
    });
    for (const s of sides) await load(s.url, { connections: 10, seconds: 3, ...opts(s), rate: undefined }); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        const before = cpuMs(s.child.pid!);
        const res = await load(s.url, { connections: CONNECTIONS, seconds: SECONDS, ...opts(s) });
        if (res.errors + res.non2xx > 0) throw new Error(`${s.name}: ${res.errors} errors, ${res.non2xx} non-2xx`);
        s.rps.push(Math.round(res.rps));
        s.cpu.push(Math.round(((cpuMs(s.child.pid!) - before) * 1000) / res.total));
      }
      process.stdout.write(
        `round ${r + 1}/${ROUNDS}: ${sides.map((s) => `${s.name} ${s.rps.at(-1)} req/s ${s.cpu.at(-1)} µs/req`).join(' · ')} (load average ${loadAverage()})\n`,
      );
    }
    for (const s of sides) {
      const first = sides.find((o) => o.kind === s.kind)!;
      const ratio = (k: 'rps' | 'cpu') => median(s[k].map((x, i) => x / first[k][i])).toFixed(3);
      process.stdout.write(
        `${s.name.padEnd(12)} req/s ${median(s.rps)} · CPU ${median(s.cpu)} µs/request` +
          (first === s ? '\n' : ` · ÷ ${first.name}, per round: req/s ${ratio('rps')}, CPU/request ${ratio('cpu')}\n`),
      );
      if (s.kind.startsWith('aihub')) {
        // Bounded (as memory.ts's): a gateway that died or never answers SIGUSR2 must not hang the
        // run before its finally, which stops every server.
        const report = new Promise<string>((resolve) => {
          let out = '';
          const timer = setTimeout(() => resolve('(none within 60 s)'), 60_000);
          const onData = (d: Buffer) => {
            out += d;
            const m = /memory (\{.*\})/.exec(out);
            if (!m) return;
            clearTimeout(timer);
            s.child.stdout!.off('data', onData);
            resolve(m[1]);
          };
          s.child.stdout!.on('data', onData);
        });
        s.child.kill('SIGUSR2');
        process.stdout.write(`  memory ${await report}\n`);
      }
    }
    process.stdout.write(`load average ${loadAverage()}\n`);
  } finally {
    for (const s of sides) {
      await stopServer(s.child);
      if (s.prefix) await dropRedisPrefix(REDIS_URL, s.prefix);
    }
    await stopServer(upstream.child);
    sink.close();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
