/**
 * `npm run bench:ablate`: what each part of AI Hub's serving path costs, as CPU time per request of
 * the serving process with one part turned off at a time (key auth + tenancy, usage, write-ahead,
 * tracing), next to a bare Node proxy. Every variant runs as its own process on core 0 for the whole
 * run and is measured in interleaved rounds (A B C … A B C …), so this machine's drift hits every
 * variant alike, and each round starts with the next variant so no variant is always measured
 * first; the median of the rounds is reported. CPU per request is read from /proc, so it
 * does not depend on how fast the load generator on core 1 happens to be.
 *
 * BENCH_SECONDS (per measurement, default 5), BENCH_ROUNDS (default 3), BENCH_ONLY (comma-separated
 * variant names to run besides the full gateway, e.g. `- tracing,bare`; `peer` adds the peer gateway
 * and prints same-round ratios to it), BENCH_AB_ROOT (another
 * checkout, built, with node_modules: its full gateway joins as the variant `other checkout`, for
 * an A/B of two versions of the code under the same conditions).
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@aihub/core';
import { credentials, dropRedisPrefix, otlpSink } from './lib/aihub';
import { cpuMs, endServersOnExit, latencyProbe, load, pinSelf, round, startServer, stopServer } from './lib/load';
import { startPeer } from './peer/startPeer';
import { CHAT } from './lib/bodies';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Variant {
  name: string;
  /** Repository to run the gateway from (default: this one). */
  root?: string;
  profile: string;
  ablate: string;
  auth: boolean;
}

const ONLY = process.env.BENCH_ONLY?.split(',');
const PEER = 'peer (portkey)';
const ALL: Variant[] = [
  { name: 'aihub (key auth)', profile: 'full', ablate: '', auth: true },
  { name: '- tracing', profile: 'full', ablate: 'tracing', auth: true },
  { name: '- kept traces', profile: 'full', ablate: 'sampled', auth: true },
  { name: 'every trace kept', profile: 'full', ablate: 'keepall', auth: true },
  { name: '- write-ahead', profile: 'full', ablate: 'writeahead', auth: true },
  { name: '- usage plugin', profile: 'full', ablate: 'usage', auth: true },
  { name: '- auth + tenancy', profile: 'noauth', ablate: '', auth: false },
];
const VARIANTS = ALL.filter((v, i) => i === 0 || !ONLY || ONLY.includes(v.name));
if (process.env.BENCH_AB_ROOT)
  VARIANTS.push({ name: 'other checkout', profile: 'full', ablate: '', auth: true, root: process.env.BENCH_AB_ROOT });

async function main() {
  pinSelf(1);
  endServersOnExit();
  const upstream = await startServer(['bench/src/mock-upstream/cli.ts', '--port', '0'], {}, 1);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const db = await createTestDatabase('postgres');
  const sink = await otlpSink();
  const adminKey = `ahk_benchadmin01_${randomBytes(24).toString('hex').slice(0, 40)}`;
  const prefixes: string[] = [];
  const servers: {
    name: string;
    pid: number;
    url: string;
    headers: Record<string, string>;
    stop: () => Promise<void>;
  }[] = [];
  try {
    if (ONLY?.includes('peer')) {
      // The peer gateway in the same interleaved rounds: a ratio to it free of the machine's drift.
      const peer = await startPeer(upstreamUrl);
      servers.push({
        name: PEER,
        pid: peer.child.pid!,
        url: peer.url,
        headers: peer.headers,
        stop: () => stopServer(peer.child),
      });
    }
    if (!ONLY || ONLY.includes('bare')) {
      const bare = await startServer(['bench/src/proxy/bare-proxy.ts', '0', upstreamUrl]);
      servers.push({
        name: 'bare node proxy',
        pid: bare.child.pid!,
        url: `http://127.0.0.1:${bare.port}/v1/chat/completions`,
        headers: {},
        stop: () => stopServer(bare.child),
      });
    }
    let key: string | undefined;
    for (const v of VARIANTS) {
      const prefix = `aihub-ablate-${randomBytes(4).toString('hex')}:`;
      prefixes.push(prefix);
      // One at a time: they share the database and its migrations.
      const gw = await startServer(
        ['bench/src/aihub/gateway.ts', '0'],
        {
          BENCH_PROFILE: v.profile,
          BENCH_ABLATE: v.ablate,
          BENCH_UPSTREAM: upstreamUrl,
          BENCH_DB_URL: db.url,
          BENCH_REDIS_URL: 'redis://127.0.0.1:6379',
          BENCH_REDIS_PREFIX: prefix,
          BENCH_OTLP: sink.url,
          AIHUB_BOOTSTRAP_ADMIN_KEY: adminKey,
        },
        0,
        v.root,
      );
      const base = `http://127.0.0.1:${gw.port}`;
      if (v.auth) key ??= (await credentials(base, adminKey)).key;
      servers.push({
        name: v.name,
        pid: gw.child.pid!,
        url: `${base}/v1/chat/completions`,
        headers: v.auth ? { authorization: `Bearer ${key}` } : {},
        stop: () => stopServer(gw.child),
      });
    }
    const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const rps = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const p50 = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const opts = (s: (typeof servers)[number]) => ({
      method: 'POST',
      body: CHAT,
      headers: { 'content-type': 'application/json', ...s.headers },
    });
    for (const s of servers) await load(s.url, { connections: 10, seconds: 3, ...opts(s) }); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      // Each round starts one variant later (A B C, B C A, C A B, …): measured here, the variant
      // measured first in a round ran ~10–20 µs/request dearer, a bias rotation spreads over all.
      for (let k = 0; k < servers.length; k++) {
        const s = servers[(r + k) % servers.length];
        const before = cpuMs(s.pid);
        const res = await load(s.url, { connections: 50, seconds: SECONDS, ...opts(s) });
        if (res.errors + res.non2xx > 0)
          throw new Error(`${s.name}: ${res.errors} errors, ${res.non2xx} non-2xx answers`);
        cpu.get(s.name)!.push(round(((cpuMs(s.pid) - before) * 1000) / res.total, 1));
        rps.get(s.name)!.push(Math.round(res.rps));
        p50.get(s.name)!.push((await latencyProbe(s.url, { seconds: Math.max(1, SECONDS / 2), ...opts(s) })).p50);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // Each round's variant against the same round's full gateway: drift cancels in the difference.
    const full = cpu.get(VARIANTS[0].name)!;
    process.stdout.write(
      `\nCPU per request of the serving process (${ROUNDS} rounds × ${SECONDS} s at 50 connections; medians)\n`,
    );
    for (const s of servers) {
      const xs = cpu.get(s.name)!;
      const saved =
        s.name === VARIANTS[0].name
          ? ''
          : `  ${s.name === 'bare node proxy' || s.name === PEER ? 'below full' : 'saves'} ${median(xs.map((x, i) => round(full[i] - x, 1)))} µs`;
      process.stdout.write(
        `${s.name.padEnd(20)} ${String(median(xs)).padStart(6)} µs/req  (${xs.join(' / ')})  ${median(rps.get(s.name)!)} req/s  p50 @1 ${median(p50.get(s.name)!)} ms${saved}\n`,
      );
    }
    const peerRps = rps.get(PEER);
    if (peerRps) {
      // Same-round ratios: AI Hub's req/s over the peer's, and the peer's CPU per request over AI Hub's.
      const fullRps = rps.get(VARIANTS[0].name)!;
      const peerCpu = cpu.get(PEER)!;
      const rpsRatios = fullRps.map((x, i) => round(x / peerRps[i], 2));
      const cpuRatios = full.map((x, i) => round(peerCpu[i] / x, 2));
      process.stdout.write(
        `\n${VARIANTS[0].name} vs peer, per round: req/s ${rpsRatios.join(' / ')} (median ${median(rpsRatios)}x); CPU per request ${cpuRatios.join(' / ')} (median ${median(cpuRatios)}x)\n`,
      );
    }
  } finally {
    for (const s of servers) await s.stop();
    await stopServer(upstream.child);
    await db.drop();
    for (const prefix of prefixes) await dropRedisPrefix('redis://127.0.0.1:6379', prefix);
    sink.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
