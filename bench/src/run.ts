/**
 * `npm run bench` (DESIGN §9): in one run on loopback — the mock upstream direct, a bare Node
 * pass-through proxy, AI Hub (auth + tenancy + ai + usage enqueue + tracing at 10% + metrics, on
 * PostgreSQL and Redis) in several profiles, and the peer gateway @portkey-ai/gateway. Gateways are
 * pinned to core 0; the load generator and the upstream share core 1. Each measurement is repeated
 * and the spread between repeats is printed as the noise indicator. Writes bench/results/latest.json.
 *
 * AI Hub's metering worker (the usage consumer, a separate instance as in production) is held
 * (SIGSTOP) while a phase is measured and drains the queue between phases: on this two-core machine
 * it would otherwise share the load generator's core and bill its PostgreSQL writes to the client's
 * timings. The serving instance still enqueues every record; the row check after each profile
 * proves none was lost. BENCH_METER_LIVE=1 keeps the worker running throughout.
 *
 * The servers run on the primary runtime, the first of BENCH_RUNTIMES (Node 24, from the npm
 * registry's `node` package as in .ci/run, unless this process is Node 24); the load generator and
 * the mock upstream stay on this process's runtime, so runtimes differ only by the servers'.
 *
 * The phases run one after the other, minutes apart, and this machine's speed drifts by up to 2×
 * over minutes: a comparison of two phases carries that drift. So the three headline figures (ratio
 * to the peer, added p50 and added stream first byte over the bare proxy) are also measured paired,
 * in alternating rounds at the end (see pairedRounds), on every runtime of BENCH_RUNTIMES at once
 * (AI Hub, the peer and the bare proxy of each runtime live together, the runtimes interleaved
 * within each round), and reported per runtime as medians of per-round figures, with each server's
 * CPU per request (/proc) and its primary ÷ other runtime req/s and CPU per request: whether a
 * server is itself slower on a runtime, free of the machine's drift.
 *
 * Last, one table per runtime (BENCH_RUNTIMES, default `24,20`): req/s at 50 connections, p50 at
 * one connection, stream first byte and RSS idle / steady / peak of the bare proxy, AI Hub as ONE
 * process (usage consumed in-process) and the peer, with AI Hub's ratios to both (runtimeTable).
 * These are one sequential measurement each (their ratios carry drift; the paired ones do not).
 * Every measured server's RSS is sampled (/proc) and printed on its line.
 *
 * BENCH_SECONDS (default 8), BENCH_REPEATS (2), BENCH_PAIRED_ROUNDS (5; 0 skips the paired rounds;
 * each round is 5 × BENCH_SECONDS / 2 s per runtime), BENCH_RUNTIMES (`24,20`; empty: servers on
 * this runtime, no tables), BENCH_ONLY (comma-separated target names: upstream, bare, aihub-full,
 * aihub-jwt, aihub-noauth, aihub-ratelimit, aihub-cache, aihub-single, peer), BENCH_CPU_PROF (a
 * directory: each server writes a V8 CPU profile there). About 15 minutes with the defaults (the
 * paired rounds on two runtimes take ~4 of them); `BENCH_SECONDS=3 BENCH_REPEATS=1
 * BENCH_PAIRED_ROUNDS=0` takes about 5.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createDatabase, createTestDatabase, type Database } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import {
  cleanUp,
  endServersOnExit,
  latencyProbe,
  load,
  nodeBinary,
  pinSelf,
  repoRoot,
  round,
  rssMb,
  rssSampler,
  serverRuntime,
  startServer,
  stopServer,
  ttfbProbe,
  useRuntime,
  cpuMs,
} from './lib/load';
import { startPeer } from './peer/startPeer';
import { CHAT, STREAM } from './lib/bodies';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const ONLY = process.env.BENCH_ONLY?.split(',');
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 5);
/** Node majors the servers run on for the per-runtime tables (empty: none); the first is the primary. */
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? '24,20').split(',').filter(Boolean);
/**
 * The runtime of the servers in the sequential phases (the first of BENCH_RUNTIMES: Node 24, what
 * production runs); the paired rounds run on every runtime of BENCH_RUNTIMES, or on this one when it is empty.
 */
const PAIRED_RUNTIMES = RUNTIMES.length ? RUNTIMES : [process.versions.node.split('.')[0]];
const PRIMARY = PAIRED_RUNTIMES[0];
const REDIS_URL = 'redis://127.0.0.1:6379';
/** A server startServer started: its process and port. */
type Started = Awaited<ReturnType<typeof startServer>>;
const CHAT_T0 = JSON.stringify({
  model: 'gpt-4o-mini',
  temperature: 0,
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
  max_tokens: 16,
});

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  stream?: boolean;
  /**
   * Awaited between measured phases: AI Hub's metering worker drains the usage queue, then is held
   * again, so its writes never land in a measurement.
   */
  settle?: () => Promise<void>;
  /** The server's process: its RSS is sampled (idle before the warm-up, steady during the loads at 50). */
  pid?: number;
}

interface Measured {
  name: string;
  rps50: number;
  /** autocannon reports whole milliseconds at 50 connections; the 1-connection probe is µs-precise. */
  p50ms50: number;
  p99ms50: number;
  p50ms1: number;
  p99ms1: number;
  ttfbP50ms?: number;
  noise: number;
  errors: number;
  /** Responses received (warm-up included): every one must leave exactly one usage row. */
  served: number;
  /** The server's RSS (MB): before any request, and the median and peak while loaded at 50 connections. */
  rssIdleMb?: number;
  rssSteadyMb?: number;
  rssPeakMb?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: number[]) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / median(xs) : 0);

async function measure(t: Target): Promise<Measured> {
  const opts = { method: 'POST', body: t.body ?? CHAT, headers: { 'content-type': 'application/json', ...t.headers } };
  const rssIdleMb = t.pid ? rssMb(t.pid) : undefined;
  const rssLoaded: number[] = [];
  let served = (await load(t.url, { connections: 10, seconds: 3, ...opts })).total;
  const rps: number[] = [];
  const p99s: number[] = [];
  const p50s50: number[] = [];
  const p50s: number[] = [];
  const p99s1: number[] = [];
  let errors = 0;
  for (let i = 0; i < REPEATS; i++) {
    const sampler = t.pid ? rssSampler(t.pid) : undefined;
    const r = await load(t.url, { connections: 50, seconds: SECONDS, ...opts });
    rssLoaded.push(...(sampler?.stop().samples ?? []));
    rps.push(r.rps);
    served += r.total;
    p99s.push(r.p99);
    p50s50.push(r.p50);
    errors += r.errors + r.non2xx;
    await t.settle?.();
    const one = await latencyProbe(t.url, { seconds: SECONDS, ...opts });
    served += one.count;
    p50s.push(one.p50);
    p99s1.push(one.p99);
    errors += one.errors;
  }
  const out: Measured = {
    name: t.name,
    rps50: Math.round(median(rps)),
    p50ms50: median(p50s50),
    p99ms50: median(p99s),
    p50ms1: median(p50s),
    p99ms1: median(p99s1),
    noise: round(spread(rps), 3),
    errors,
    served,
  };
  if (t.pid) Object.assign(out, { rssIdleMb, rssSteadyMb: median(rssLoaded), rssPeakMb: Math.max(...rssLoaded) });
  if (t.stream !== false) {
    await t.settle?.();
    const tt = await ttfbProbe(t.url, { seconds: Math.max(3, SECONDS / 2), body: STREAM, headers: t.headers });
    out.ttfbP50ms = tt.p50;
    out.served += tt.count;
    out.errors += tt.errors;
  }
  process.stdout.write(
    `${t.name.padEnd(22)} ${String(out.rps50).padStart(7)} req/s @50  p50 ${String(out.p50ms50).padStart(3)} p99 ${String(out.p99ms50).padStart(4)} ms | @1 p50 ${out.p50ms1.toFixed(3)} ms p99 ${out.p99ms1.toFixed(3)} ms | stream TTFB p50 ${out.ttfbP50ms?.toFixed(3) ?? '-'} ms | noise ${(out.noise * 100).toFixed(1)}% | errors ${out.errors}${out.rssIdleMb !== undefined ? ` | RSS idle ${out.rssIdleMb} steady ${out.rssSteadyMb} peak ${out.rssPeakMb} MB` : ''}\n`,
  );
  return out;
}

/** The bare Node proxy in front of `upstreamUrl`, measured and stopped (whatever the measurement does). */
async function measureBare(upstreamUrl: string): Promise<Measured> {
  const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl]);
  try {
    return await measure({
      name: 'bare node proxy',
      url: `http://127.0.0.1:${bare.port}/v1/chat/completions`,
      headers: {},
      pid: bare.child.pid,
    });
  } finally {
    await stopServer(bare.child);
  }
}

/** Waits (≤ 60 s) until the metering worker has stopped adding usage rows (its backlog is written). */
async function usageSettled(db: Database): Promise<void> {
  let last = -1;
  for (let i = 0; i < 120; i++) {
    const rows = await usageRows(db, 0, true);
    if (rows === last) return;
    last = rows;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Usage rows written so far, waiting (≤ 30 s) for the metering worker to reach `expected`. */
async function usageRows(db: Database, expected = 0, all = false): Promise<number> {
  let rows = 0;
  for (let i = 0; i < 60; i++) {
    const [[row]] = (await db.sequelize.query(
      all
        ? 'SELECT count(*) AS n FROM usage_records'
        : "SELECT count(*) AS n FROM usage_records WHERE status <> 'pending'",
    )) as [{ n: string }[], unknown];
    rows = Number(row.n);
    if (rows >= expected) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return rows;
}

/** The servers of one runtime in the paired rounds. */
interface PairedSide {
  url: string;
  headers: Record<string, string>;
  pid: number;
}

interface PairedRound {
  aihubRps: number;
  peerRps: number;
  bareRps: number;
  /** AI Hub ÷ peer, requests/s at 50 connections. */
  ratio: number;
  /** AI Hub's p50 at one connection minus the bare proxy's, ms. */
  addedP50Ms: number;
  /** AI Hub's streaming time to first byte minus the bare proxy's (p50), ms. */
  addedTtfbMs: number;
  /** Each server's CPU time per request (user + system, /proc), µs: at 50 connections, and at one (`1`). */
  cpuUs: { aihub: number; peer: number; bare: number; aihub1: number; bare1: number };
}

interface Paired {
  /** `v24.x.y`: the servers' runtime (the load generator and the upstream stay on this process's). */
  runtime: string;
  rounds: PairedRound[];
  /** Medians of the per-round figures. */
  ratio: number;
  addedP50Ms: number;
  addedTtfbMs: number;
  cpuUs: PairedRound['cpuUs'];
}

/** Per server, the median over rounds of (primary runtime ÷ the other): CPU below 1, the primary costs less. */
interface RuntimeAB {
  runtimes: [string, string];
  rps: { aihub: number; peer: number; bare: number };
  cpuPerRequest: PairedRound['cpuUs'];
}

/**
 * The headline figures measured in alternating rounds instead of phases minutes apart, on every
 * runtime of `majors` at once (the first is the primary): per runtime, AI Hub (full chain, key
 * auth), the peer and the bare proxy are started on it and stay up for the whole run. Each round
 * measures every runtime in turn (each round in the other order), and within one runtime AI Hub
 * against the peer and the bare proxy at 50 connections, and against the bare proxy at one
 * connection (p50 and streaming first byte), each pair in the other order every round, so the
 * machine's drift hits both sides alike. Reported: per runtime the medians of the per-round
 * figures, and per server the median of its per-round primary ÷ other runtime req/s and CPU per
 * request (/proc): whether each server itself is faster or slower on the primary runtime, from
 * measurements seconds apart instead of minutes. The serving instance runs without its metering
 * worker (records wait in the queue, dropped afterwards); its own work per request is the one of
 * the measured profile.
 */
async function pairedRounds(
  majors: string[],
  env: Record<string, string>,
  adminKey: string,
  upstreamUrl: string,
): Promise<{ paired: Paired[]; ab?: RuntimeAB }> {
  const stops: (() => Promise<void>)[] = [];
  const sides: { runtime: string; aihub: PairedSide; peer: PairedSide; bare: PairedSide }[] = [];
  try {
    for (const major of majors) {
      const node = nodeBinary(major);
      const previous = serverRuntime();
      useRuntime(node);
      try {
        const runtime = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
        // One gateway per runtime, each with its own Redis prefix (its own queue), on the one database.
        const gwEnv = { ...env, BENCH_ROLE: 'api', BENCH_REDIS_PREFIX: `${env.BENCH_REDIS_PREFIX}${major}:` };
        // Registered before the start: the stops run in reverse, so the keys go after the gateway
        // stopped, and also when its start fails after it wrote some.
        stops.push(() => dropRedisPrefix(REDIS_URL, gwEnv.BENCH_REDIS_PREFIX));
        const gw = await startServer(['bench/src/aihub/gateway.ts', '0'], gwEnv);
        stops.push(() => stopServer(gw.child));
        const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl]);
        stops.push(() => stopServer(bare.child));
        const peer = await startPeer(upstreamUrl);
        stops.push(() => stopServer(peer.child));
        const base = `http://127.0.0.1:${gw.port}`;
        sides.push({
          runtime,
          aihub: {
            url: `${base}/v1/chat/completions`,
            headers: { authorization: `Bearer ${(await credentials(base, adminKey)).key}` },
            pid: gw.child.pid!,
          },
          peer: { url: peer.url, headers: peer.headers, pid: peer.child.pid! },
          bare: { url: `http://127.0.0.1:${bare.port}/v1/chat/completions`, headers: {}, pid: bare.child.pid! },
        });
      } finally {
        useRuntime(previous);
      }
    }
    const opts = (h: Record<string, string>) => ({
      method: 'POST',
      body: CHAT,
      headers: { 'content-type': 'application/json', ...h },
    });
    for (const rt of sides)
      for (const side of [rt.aihub, rt.peer, rt.bare])
        await load(side.url, { connections: 10, seconds: 3, ...opts(side.headers) }); // warm-up
    const inOrder = <T>(r: number, list: T[]): T[] => (r % 2 ? [...list].reverse() : list);
    const seconds = Math.max(2, SECONDS / 2);
    const rounds = sides.map(() => [] as PairedRound[]);
    /** CPU µs per request of `side` over `run` (which returns the requests it completed). */
    const perRequest = async (side: PairedSide, run: () => Promise<number>) => {
      const before = cpuMs(side.pid);
      const count = await run();
      return round(((cpuMs(side.pid) - before) * 1000) / count, 1);
    };
    for (let r = 0; r < PAIRED_ROUNDS; r++) {
      for (const rt of inOrder(r, sides)) {
        const rps = new Map<PairedSide, number>();
        const cpu = new Map<PairedSide, number>();
        for (const side of inOrder(r, [rt.aihub, rt.peer, rt.bare])) {
          cpu.set(
            side,
            await perRequest(side, async () => {
              const res = await load(side.url, { connections: 50, seconds, ...opts(side.headers) });
              if (res.errors + res.non2xx > 0)
                throw new Error(
                  `paired rounds: ${side.url} had ${res.errors} errors and ${res.non2xx} non-2xx answers`,
                );
              rps.set(side, Math.round(res.rps));
              return res.total;
            }),
          );
        }
        const p50 = new Map<PairedSide, number>();
        const cpu1 = new Map<PairedSide, number>();
        for (const side of inOrder(r, [rt.aihub, rt.bare]))
          cpu1.set(
            side,
            await perRequest(side, async () => {
              const one = await latencyProbe(side.url, { seconds: seconds / 2, ...opts(side.headers) });
              p50.set(side, one.p50);
              return one.count;
            }),
          );
        const ttfb = new Map<PairedSide, number>();
        for (const side of inOrder(r, [rt.aihub, rt.bare]))
          ttfb.set(
            side,
            (await ttfbProbe(side.url, { seconds: seconds / 2, body: STREAM, headers: side.headers })).p50,
          );
        rounds[sides.indexOf(rt)].push({
          aihubRps: rps.get(rt.aihub)!,
          peerRps: rps.get(rt.peer)!,
          bareRps: rps.get(rt.bare)!,
          ratio: round(rps.get(rt.aihub)! / rps.get(rt.peer)!, 2),
          addedP50Ms: round(p50.get(rt.aihub)! - p50.get(rt.bare)!, 3),
          addedTtfbMs: round(ttfb.get(rt.aihub)! - ttfb.get(rt.bare)!, 3),
          cpuUs: {
            aihub: cpu.get(rt.aihub)!,
            peer: cpu.get(rt.peer)!,
            bare: cpu.get(rt.bare)!,
            aihub1: cpu1.get(rt.aihub)!,
            bare1: cpu1.get(rt.bare)!,
          },
        });
      }
      process.stdout.write(`paired round ${r + 1}/${PAIRED_ROUNDS} (load average ${loadAverage()})\n`);
    }
    const cpuKeys = ['aihub', 'peer', 'bare', 'aihub1', 'bare1'] as const;
    const paired = sides.map((rt, i): Paired => {
      const rs = rounds[i];
      return {
        runtime: rt.runtime,
        rounds: rs,
        ratio: median(rs.map((x) => x.ratio)),
        addedP50Ms: median(rs.map((x) => x.addedP50Ms)),
        addedTtfbMs: median(rs.map((x) => x.addedTtfbMs)),
        cpuUs: Object.fromEntries(cpuKeys.map((k) => [k, median(rs.map((x) => x.cpuUs[k]))])) as Paired['cpuUs'],
      };
    });
    for (const p of paired)
      process.stdout.write(
        `paired rounds, servers on Node ${p.runtime} (${PAIRED_ROUNDS} × ${seconds} s):\n` +
          `  aihub (key auth) ÷ peer req/s @50: ${p.rounds.map((x) => `${x.ratio} (${x.aihubRps}/${x.peerRps})`).join(' · ')} → median ${p.ratio}\n` +
          `  added p50 @1 over the bare proxy: ${p.rounds.map((x) => x.addedP50Ms).join(' · ')} ms → median ${p.addedP50Ms}\n` +
          `  added stream TTFB over the bare proxy: ${p.rounds.map((x) => x.addedTtfbMs).join(' · ')} ms → median ${p.addedTtfbMs}\n` +
          `  bare proxy req/s @50: ${p.rounds.map((x) => x.bareRps).join(' · ')}\n` +
          `  CPU µs/request (medians) @50: aihub ${p.cpuUs.aihub} · peer ${p.cpuUs.peer} · bare ${p.cpuUs.bare}; @1: aihub ${p.cpuUs.aihub1} · bare ${p.cpuUs.bare1}\n`,
      );
    let ab: RuntimeAB | undefined;
    if (paired.length === 2) {
      const [a, b] = paired;
      const per = (f: (x: PairedRound) => number) => median(a.rounds.map((x, i) => round(f(x) / f(b.rounds[i]), 3)));
      ab = {
        runtimes: [a.runtime, b.runtime],
        rps: { aihub: per((x) => x.aihubRps), peer: per((x) => x.peerRps), bare: per((x) => x.bareRps) },
        cpuPerRequest: Object.fromEntries(cpuKeys.map((k) => [k, per((x) => x.cpuUs[k])])) as PairedRound['cpuUs'],
      };
      process.stdout.write(
        `  Node ${a.runtime} ÷ Node ${b.runtime}, medians of per-round ratios: req/s @50 aihub ${ab.rps.aihub} · peer ${ab.rps.peer} · bare ${ab.rps.bare}; ` +
          `CPU/request @50 aihub ${ab.cpuPerRequest.aihub} · peer ${ab.cpuPerRequest.peer} · bare ${ab.cpuPerRequest.bare}, @1 aihub ${ab.cpuPerRequest.aihub1} · bare ${ab.cpuPerRequest.bare1}\n`,
      );
    }
    return { paired, ab };
  } finally {
    await cleanUp('paired rounds', stops.reverse());
  }
}

/** One runtime's table: the bare proxy, AI Hub as one process doing everything, the peer. */
interface RuntimeTable {
  runtime: string;
  rows: Measured[];
  /** AI Hub single process ÷ the others, and its added latency over the bare proxy. */
  ratios: {
    rpsVsBare?: number;
    rpsVsPeer?: number;
    addedP50Ms?: number;
    addedTtfbMs?: number;
    peerAddedTtfbMs?: number;
  };
  usage?: { served: number; landed: number; ok: boolean };
}

/**
 * The figures issue 20 asks of each runtime, with the servers on that runtime (the load generator
 * and the mock upstream stay on this one): req/s at 50 connections, p50 at one connection, stream
 * first byte, RSS idle and steady — for the bare proxy, AI Hub as ONE process (key auth, tenancy,
 * ai, usage enqueued AND consumed in-process, tracing at 10%, metrics; PostgreSQL and Redis) and
 * the peer. AI Hub's idle RSS is read 10 s after start, before any request
 * (after the idle trim's first chance to give back what boot grew: server.idleTrimIntervalMs).
 */
async function runtimeTable(
  major: string,
  base: { upstreamUrl: string; env: (profile: string) => Record<string, string>; adminKey: string; meterDb: Database },
): Promise<RuntimeTable> {
  const node = nodeBinary(major);
  const previous = serverRuntime();
  useRuntime(node);
  const runtime = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
  process.stdout.write(`\n== servers on Node ${runtime}\n`);
  const rows: Measured[] = [];
  let usage: RuntimeTable['usage'];
  try {
    if (want('bare')) rows.push(await measureBare(base.upstreamUrl));
    if (want('aihub-single')) {
      const env = base.env('full');
      let gw: Started | undefined;
      try {
        gw = await startServer(['bench/src/aihub/gateway.ts', '0'], { ...env, BENCH_ROLE: 'single' });
        await new Promise((r) => setTimeout(r, 10_000));
        const idle = rssMb(gw.child.pid!);
        const rowsBefore = await usageRows(base.meterDb);
        const url = `http://127.0.0.1:${gw.port}`;
        const m = await measure({
          name: 'aihub single process',
          url: `${url}/v1/chat/completions`,
          headers: { authorization: `Bearer ${(await credentials(url, base.adminKey)).key}` },
          pid: gw.child.pid,
        });
        m.rssIdleMb = idle;
        rows.push(m);
        const landed = (await usageRows(base.meterDb, rowsBefore + m.served)) - rowsBefore;
        usage = { served: m.served, landed, ok: landed >= m.served && landed <= m.served + 60 * (1 + 2 * REPEATS) };
      } finally {
        // The prefix is dropped also when the start failed after the gateway wrote keys.
        const started = gw;
        await cleanUp('aihub-single', [
          () => started && stopServer(started.child),
          () => dropRedisPrefix(REDIS_URL, env.BENCH_REDIS_PREFIX),
        ]);
      }
    }
    if (want('peer')) {
      const peer = await startPeer(base.upstreamUrl);
      try {
        rows.push(await measure({ name: 'peer (portkey)', url: peer.url, headers: peer.headers, pid: peer.child.pid }));
      } finally {
        await stopServer(peer.child);
      }
    }
  } finally {
    useRuntime(previous);
  }
  const by = (n: string) => rows.find((r) => r.name === n);
  const [bare, aihub, peer] = [by('bare node proxy'), by('aihub single process'), by('peer (portkey)')];
  const ratios: RuntimeTable['ratios'] = {
    rpsVsBare: aihub && bare ? round(aihub.rps50 / bare.rps50, 2) : undefined,
    rpsVsPeer: aihub && peer ? round(aihub.rps50 / peer.rps50, 2) : undefined,
    addedP50Ms: aihub && bare ? round(aihub.p50ms1 - bare.p50ms1, 3) : undefined,
    addedTtfbMs:
      aihub?.ttfbP50ms !== undefined && bare?.ttfbP50ms !== undefined
        ? round(aihub.ttfbP50ms - bare.ttfbP50ms, 3)
        : undefined,
    peerAddedTtfbMs:
      peer?.ttfbP50ms !== undefined && bare?.ttfbP50ms !== undefined
        ? round(peer.ttfbP50ms - bare.ttfbP50ms, 3)
        : undefined,
  };
  return { runtime, rows, ratios, usage };
}

/** Prints the runtime tables side by side in the form issue 20 states its targets. */
function printRuntimeTables(tables: RuntimeTable[]): void {
  const cell = (v: number | undefined, d = 0) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  for (const t of tables) {
    process.stdout.write(`\nNode ${t.runtime} (servers; load average ${loadAverage()})\n`);
    process.stdout.write(
      `  ${''.padEnd(22)} ${'req/s @50'.padStart(9)} ${'p50 @1 ms'.padStart(10)} ${'stream 1st byte ms'.padStart(19)} ${'RSS idle MB'.padStart(12)} ${'steady MB'.padStart(10)} ${'peak MB'.padStart(8)}\n`,
    );
    for (const r of t.rows) {
      process.stdout.write(
        `  ${r.name.padEnd(22)} ${cell(r.rps50).padStart(9)} ${cell(r.p50ms1, 3).padStart(10)} ${cell(r.ttfbP50ms, 3).padStart(19)} ${cell(r.rssIdleMb, 1).padStart(12)} ${cell(r.rssSteadyMb, 1).padStart(10)} ${cell(r.rssPeakMb, 1).padStart(8)}\n`,
      );
    }
    const x = t.ratios;
    process.stdout.write(
      `  aihub ÷ bare req/s ${x.rpsVsBare ?? '-'} · aihub ÷ peer req/s ${x.rpsVsPeer ?? '-'} (target ≥ 4) · added p50 @1 ${x.addedP50Ms ?? '-'} ms (≤ 0.2) · added stream first byte ${x.addedTtfbMs ?? '-'} ms (≤ 0.5; peer ${x.peerAddedTtfbMs ?? '-'})\n` +
        (t.usage
          ? `  usage rows (consumed in-process): ${t.usage.landed} for ${t.usage.served} counted answers${t.usage.ok ? ' ok' : '  << MISMATCH'} · RSS targets: idle ≤ 120, steady ≤ 200 MB\n`
          : ''),
    );
  }
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const want = (name: string) => !ONLY || ONLY.some((o) => name.startsWith(o));

async function main() {
  pinSelf(1);
  endServersOnExit();
  const usageCheck: Record<string, { served: number; landed: number; ok: boolean }> = {};
  const results: Measured[] = [];
  let paired: Paired[] = [];
  let runtimeAB: RuntimeAB | undefined;
  const tables: RuntimeTable[] = [];
  // Each thing started registers its clean-up at once, run in reverse: a failure anywhere (the
  // database after the upstream started) still stops and closes everything started before it.
  const stops: (() => unknown)[] = [];
  try {
    const sink = await otlpSink();
    stops.push(() => sink.close());
    const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
    stops.push(() => stopServer(upstream.child));
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    // The servers of the sequential phases run on the primary runtime (the upstream and the load stay on this one).
    useRuntime(nodeBinary(PRIMARY));
    process.stdout.write(
      `servers on Node ${execFileSync(serverRuntime(), ['-v'], { encoding: 'utf8' }).trim()} (load generator and mock upstream on ${process.version})\n`,
    );
    const db = await createTestDatabase('postgres');
    stops.push(() => db.drop());
    // One connection for the bench's own usage-row counts (the gateways create the table).
    const meterDb = createDatabase({ url: db.url, pool: { max: 1 } });
    stops.push(() => meterDb.close());
    const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
    if (want('upstream'))
      results.push(
        await measure({ name: 'upstream (direct)', url: `${upstreamUrl}/v1/chat/completions`, headers: {} }),
      );
    if (want('bare')) results.push(await measureBare(upstreamUrl));
    const gatewayEnv = (profile: string) => ({
      BENCH_PROFILE: profile,
      BENCH_UPSTREAM: upstreamUrl,
      BENCH_DB_URL: db.url,
      BENCH_REDIS_URL: REDIS_URL,
      BENCH_REDIS_PREFIX: `aihub-bench-${randomBytes(4).toString('hex')}:`,
      BENCH_OTLP: sink.url,
      AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
    });
    for (const profile of ['full', 'noauth', 'ratelimit', 'cache']) {
      if (!want(`aihub-${profile}`) && !(profile === 'full' && want('aihub-jwt'))) continue;
      const env = gatewayEnv(profile);
      // Set once started: the clean-up below stops what was started and drops the prefix in every
      // path (the worker's start failing with the gateway up, or the gateway's after it wrote keys).
      let gw: Started | undefined;
      let worker: Started | undefined;
      try {
        gw = await startServer(['bench/src/aihub/gateway.ts', '0'], { ...env, BENCH_ROLE: 'api' });
        // The metering worker shares the load generator's core: its work is not the serving node's.
        worker = await startServer(['bench/src/aihub/gateway.ts', '0'], { ...env, BENCH_ROLE: 'worker' }, 1);
        const workerChild = worker.child;
        const base = `http://127.0.0.1:${gw.port}`;
        let servedBefore = results.reduce((n, r) => n + r.served, 0);
        const rowsBefore = await usageRows(meterDb);
        const live = process.env.BENCH_METER_LIVE === '1';
        const hold = () => void (live || workerChild.kill('SIGSTOP'));
        const release = () => void workerChild.kill('SIGCONT');
        const settle = async () => {
          release();
          await usageSettled(meterDb);
          hold();
        };
        hold();
        const url = `${base}/v1/chat/completions`;
        if (profile === 'noauth') {
          results.push(await measure({ name: 'aihub no auth', url, headers: {}, settle, pid: gw.child.pid }));
        } else {
          const creds = await credentials(base, adminKey);
          const headers = { authorization: `Bearer ${creds.key}` };
          if (profile === 'full') {
            if (want('aihub-full'))
              results.push(await measure({ name: 'aihub (key auth)', url, headers, settle, pid: gw.child.pid }));
            if (creds.jwt && want('aihub-jwt'))
              results.push(
                await measure({
                  name: 'aihub (JWT auth)',
                  url,
                  headers: { authorization: `Bearer ${creds.jwt}` },
                  stream: false,
                  settle,
                  pid: gw.child.pid,
                }),
              );
          } else if (profile === 'ratelimit') {
            results.push(await measure({ name: 'aihub + rate limit', url, headers, settle, pid: gw.child.pid }));
          } else if (profile === 'cache') {
            await fetch(url, {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: CHAT_T0,
            });
            servedBefore -= 1; // the request that fills the cache is metered too
            results.push(
              await measure({
                name: 'aihub cache hit',
                url,
                headers,
                body: CHAT_T0,
                stream: false,
                settle,
                pid: gw.child.pid,
              }),
            );
          }
        }
        release();
        const served = results.reduce((n, r) => n + r.served, 0) - servedBefore;
        const landed = (await usageRows(meterDb, rowsBefore + served)) - rowsBefore;
        // A timed run ends with up to `connections` requests in flight: the gateway answers and meters
        // them, the load generator no longer counts them. Fewer rows than answers would be lost usage.
        const inFlightBound = 60 * (1 + 2 * REPEATS);
        const ok = landed >= served && landed <= served + inFlightBound;
        process.stdout.write(
          `  usage rows landed: ${landed} for ${served} counted answers (+ ≤ ${inFlightBound} in flight at run ends)${ok ? ' ok' : '  << MISMATCH'}\n`,
        );
        usageCheck[profile] = { served, landed, ok };
      } finally {
        const [api, meter] = [gw, worker];
        await cleanUp(`aihub-${profile}`, [
          // A worker held with SIGSTOP would not act on SIGTERM: woken first.
          () => meter?.child.kill('SIGCONT'),
          () => api && stopServer(api.child),
          () => meter && stopServer(meter.child),
          () => dropRedisPrefix(REDIS_URL, env.BENCH_REDIS_PREFIX),
        ]);
      }
    }
    if (want('peer')) {
      const peer = await startPeer(upstreamUrl);
      try {
        results.push(
          await measure({ name: 'peer (portkey)', url: peer.url, headers: peer.headers, pid: peer.child.pid }),
        );
      } finally {
        await stopServer(peer.child);
      }
      if (PAIRED_ROUNDS > 0 && want('aihub-full'))
        ({ paired, ab: runtimeAB } = await pairedRounds(PAIRED_RUNTIMES, gatewayEnv('full'), adminKey, upstreamUrl));
    }
    for (const major of RUNTIMES)
      tables.push(await runtimeTable(major, { upstreamUrl, env: gatewayEnv, adminKey, meterDb }));
  } finally {
    await cleanUp('bench', stops.reverse());
  }

  const by = (n: string) => results.find((r) => r.name === n);
  const bare = by('bare node proxy');
  const full = by('aihub (key auth)');
  const summary: Record<string, number | undefined> = {
    addedP50OverBareMs: bare && full ? round(full.p50ms1 - bare.p50ms1, 3) : undefined,
    rpsVsPeer: full && by('peer (portkey)') ? round(full.rps50 / by('peer (portkey)')!.rps50, 2) : undefined,
    // The primary runtime's paired figures, then every runtime's under its own name.
    rpsVsPeerPaired: paired[0]?.ratio,
    addedP50OverBarePairedMs: paired[0]?.addedP50Ms,
    streamTtfbOverBarePairedMs: paired[0]?.addedTtfbMs,
    ...Object.fromEntries(
      paired.flatMap((p) => {
        const v = p.runtime.split('.')[0].replace('v', 'Node');
        return [
          [`rpsVsPeerPaired${v}`, p.ratio],
          [`addedP50OverBarePairedMs${v}`, p.addedP50Ms],
          [`streamTtfbOverBarePairedMs${v}`, p.addedTtfbMs],
          [`aihubCpuUsPerRequestPaired${v}`, p.cpuUs.aihub],
        ];
      }),
    ),
    streamTtfbOverBareMs:
      bare?.ttfbP50ms !== undefined && full?.ttfbP50ms !== undefined
        ? round(full.ttfbP50ms - bare.ttfbP50ms, 3)
        : undefined,
    peerStreamTtfbOverBareMs:
      bare?.ttfbP50ms !== undefined && by('peer (portkey)')?.ttfbP50ms !== undefined
        ? round(by('peer (portkey)')!.ttfbP50ms! - bare.ttfbP50ms, 3)
        : undefined,
    authTenancyAddedP50Ms:
      full && by('aihub no auth') ? round(full.p50ms1 - by('aihub no auth')!.p50ms1, 3) : undefined,
    jwtAddedP50Ms:
      by('aihub (JWT auth)') && by('aihub no auth')
        ? round(by('aihub (JWT auth)')!.p50ms1 - by('aihub no auth')!.p50ms1, 3)
        : undefined,
    rateLimitAddedP50Ms:
      full && by('aihub + rate limit') ? round(by('aihub + rate limit')!.p50ms1 - full.p50ms1, 3) : undefined,
    cacheHitP50Ms: by('aihub cache hit')?.p50ms1,
  };
  const out = {
    when: new Date().toISOString(),
    loadAverage: loadAverage(),
    seconds: SECONDS,
    repeats: REPEATS,
    serverRuntime: paired[0]?.runtime,
    results,
    paired,
    runtimeAB,
    runtimes: tables,
    summary,
    usageCheck,
    targets: {
      addedP50OverBareMs: 0.5,
      rpsVsPeer: 4,
      rpsVsPeerPaired: 4,
      addedP50OverBarePairedMs: 0.5,
      streamTtfbOverBarePairedMs: 1,
      streamTtfbOverBareMs: 1,
      authTenancyAddedP50Ms: 0.1,
      jwtAddedP50Ms: 0.2,
      rateLimitAddedP50Ms: 0.3,
      cacheHitP50Ms: 1,
    },
  };
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'bench/results/latest.json'), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `\nsummary (targets in bench/results/latest.json):\n${Object.entries(summary)
      .map(([k, v]) => `  ${k}: ${v ?? 'n/a'}`)
      .join('\n')}\n`,
  );
  printRuntimeTables(tables);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
