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
 * `aihub24s64`), and for the bare proxy optionally `u<major>` for the undici it uses (`bare24u7`: the
 * 7.x AI Hub ships; without it, the 6.x bench/ resolves), and for AI Hub optionally `-<tag>` (`aihub24-a,aihub24-b`:
 * two instances of the same build, the tag passed as AIHUB_BENCH_AB, for an A/B switch in the code under test).
 * BENCH_WARMUP_SECONDS (3, per server, 10 connections as fast as served; AI Hub's CPU per request still
 * falls for ~15 s of load after start, so rounds after a short warm-up are not steady state).
 * BENCH_ROUNDS (6), BENCH_SECONDS (4), BENCH_RATE (unset: as fast as served),
 * BENCH_IDLE_TRIM_MS (AI Hub's idle trim, default 0 here: an idle server's full GC would run on the
 * core the measured one uses), BENCH_CONNECTIONS (50; 1 compares the one-connection path), BENCH_CPU_PROF (a directory: a V8 CPU profile per server, in
 * `<dir>/<variant>/`, the peer's too, with `windows.json`: when the measured rounds ran and the requests
 * they served; `bench/src/cpuprofile-summary.ts` compares two profiles per request). Build first (`npm run build`): the servers run from dist/.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createTestDatabase } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import {
  cleanUp,
  cpuMs,
  endServersOnExit,
  load,
  nodeBinary,
  pinSelf,
  repoRoot,
  startServer,
  stopServer,
  useRuntime,
} from './lib/load';
import { CHAT } from './lib/bodies';
import { startPeer } from './peer/startPeer';

const VARIANTS = (process.env.BENCH_VARIANTS ?? 'aihub20,aihub24,bare20,bare24,peer20,peer24').split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const PROF = process.env.BENCH_CPU_PROF;
const REDIS_URL = 'redis://127.0.0.1:6379';

interface Side {
  name: string;
  kind: string;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  rps: number[];
  cpu: number[];
  /** Requests served in all, warm-up included. */
  served: number;
  /** Requests served in the measured rounds, and when those ran (µs, CLOCK_MONOTONIC as a V8 profile's times). */
  measured: number;
  windows: [number, number][];
  profDir?: string;
}

/**
 * The entry of an undici of `major` installed in this repository: the one AI Hub's ai plugin ships,
 * or else the root's (the bare proxy's default), for `bare<N>u<major>` variants.
 */
function undiciOfMajor(major: string): string {
  for (const from of [path.join(repoRoot, 'plugins/ai'), repoRoot]) {
    const entry = require.resolve('undici', { paths: [from] });
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), 'package.json'), 'utf8')) as { version: string };
    if (pkg.version.split('.')[0] === major) return entry;
  }
  throw new Error(`BENCH_VARIANTS: no undici ${major}.x installed (plugins/ai's or the root's)`);
}

/** CLOCK_MONOTONIC in µs: the clock of a V8 CPU profile's startTime and samples (both are the OS's monotonic clock). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

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
  /** Every Redis prefix an AI Hub variant was given, whether or not its side got this far. */
  const prefixes: string[] = [];
  try {
    for (const name of VARIANTS) {
      const m = /^(aihub-api|aihub|bare|peer)(\d+)(?:s(\d+))?(?:u(\d+))?(?:-([a-z0-9]+))?$/.exec(name);
      if (!m || (m[4] && m[1] !== 'bare') || (m[5] && !m[1].startsWith('aihub')))
        throw new Error(
          `BENCH_VARIANTS: ${name} is not <aihub|aihub-api|bare|peer><major>[s<MB>], bare<major>[s<MB>]u<undici major> or aihub<major>[s<MB>]-<tag>`,
        );
      const [, kind, major, semi, undiciMajor, tag] = m;
      const profDir = PROF ? path.resolve(PROF, name) : undefined;
      if (profDir) mkdirSync(profDir, { recursive: true });
      const extra = [
        ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
        ...(semi ? [`--max-semi-space-size=${semi}`] : []),
      ].join(' ');
      useRuntime(nodeBinary(major));
      try {
        const side = {
          name,
          kind,
          rps: [] as number[],
          cpu: [] as number[],
          served: 0,
          measured: 0,
          windows: [] as [number, number][],
          profDir,
        };
        if (kind === 'bare') {
          const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl], {
            BENCH_NODE_EXTRA: extra,
            ...(undiciMajor ? { BENCH_UNDICI: undiciOfMajor(undiciMajor) } : {}),
          });
          sides.push({
            ...side,
            child: bare.child,
            url: `http://127.0.0.1:${bare.port}/v1/chat/completions`,
            headers: {},
          });
        } else if (kind === 'peer') {
          const peer = await startPeer(upstreamUrl, { nodeArgs: extra.split(' ').filter(Boolean) });
          sides.push({ ...side, child: peer.child, url: peer.url, headers: peer.headers });
        } else {
          const prefix = `aihub-runtime-ab-${randomBytes(4).toString('hex')}:`;
          // Recorded before the gateway starts, so the finally drops its keys whichever later step
          // fails (its start, the credentials): the gateway writes under the prefix from its boot.
          prefixes.push(prefix);
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
            AIHUB_BENCH_AB: tag ?? '',
          });
          // A side from here on: if the credentials step fails, the finally still stops this gateway.
          const s: Side = {
            ...side,
            child: gw.child,
            url: `http://127.0.0.1:${gw.port}/v1/chat/completions`,
            headers: {},
          };
          sides.push(s);
          s.headers = { authorization: `Bearer ${(await credentials(`http://127.0.0.1:${gw.port}`, adminKey)).key}` };
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
    for (const s of sides)
      s.served += (await load(s.url, { connections: 10, seconds: WARMUP, ...opts(s), rate: undefined })).total; // warm-up
    // The warm-up's end cancels the calls in flight, and a cancelled call's tokens are estimated: the
    // first estimate loads the tokenizer (~300 ms of CPU, asynchronously), which a Node 24 profile
    // caught at the start of the first measured round. Let it finish before measuring.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        const before = cpuMs(s.child.pid!);
        const from = nowUs();
        const res = await load(s.url, { connections: CONNECTIONS, seconds: SECONDS, ...opts(s) });
        s.windows.push([from, nowUs()]);
        s.measured += res.total;
        if (res.errors + res.non2xx > 0) throw new Error(`${s.name}: ${res.errors} errors, ${res.non2xx} non-2xx`);
        s.served += res.total;
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
          (first === s ? '' : ` · ÷ ${first.name}, per round: req/s ${ratio('rps')}, CPU/request ${ratio('cpu')}`) +
          ` · ${s.served} requests in all\n`,
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
    // Beside each profile: the measured rounds' windows and requests, so cpuprofile-summary.ts
    // leaves out start-up and warm-up and divides by the requests of the same time.
    for (const s of sides)
      if (s.profDir)
        writeFileSync(
          path.join(s.profDir, 'windows.json'),
          JSON.stringify({ requests: s.measured, windows: s.windows }),
        );
  } finally {
    await cleanUp('runtime-ab', [
      ...sides.map((s) => () => stopServer(s.child)),
      () => stopServer(upstream.child),
      ...prefixes.map((p) => () => dropRedisPrefix(REDIS_URL, p)),
      () => sink.close(),
      () => db.drop(),
    ]);
  }
}

main().then(
  () => process.exit(), // process.exitCode: 1 when a clean-up step failed
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
