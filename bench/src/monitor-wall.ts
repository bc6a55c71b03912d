/**
 * `npm run bench:monitor-wall` (issue 16 budget): the gateway's CPU cost of one open monitoring
 * wall must stay under 1% of one core.
 *
 * The gateway runs in this process (tenancy, auth, ai, usage; PostgreSQL + Redis by default) with
 * the live monitor publishing every 2 s, so `process.cpuUsage()` here is the gateway's. Child
 * processes do everything else: one keeps BENCH_PEERS synthetic instances on the wall (full 300 s
 * windows of busy buckets with both histograms, republished every 2 s — the merge the route does
 * is its worst case), and another polls `GET /admin/v1/monitor` exactly as the Live screen does
 * (one request at a time, every 2 s, with a superadmin API key through the auth pipeline) while the
 * parent says so. BENCH_ROUNDS rounds (default 4) of BENCH_SECONDS idle then BENCH_SECONDS with the
 * wall open (default 30 s each), interleaved so background work (consumers, GC) lands in both; the
 * poller process lives through the whole run, so no process start is counted. The cost of one open
 * wall is the CPU share with the wall open minus the idle share, over all rounds.
 *
 * Also reported: the publication's own cost (one sample + one publish, timed in-process over 200
 * ticks), which every instance pays whether or not a wall is open.
 *
 * Env: BENCH_BACKEND=postgres|embedded (embedded: no peers, in-process board), BENCH_SECONDS
 * (default 30), BENCH_ROUNDS (default 4), BENCH_PEERS (default 3), BENCH_BUDGET_PCT (default 1). Exits non-zero over budget.
 * Writes bench/results/monitor-wall-<backend>.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createBackend, createRedisStore, startTestGateway, type BackendKind } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';
import { RedisBoard } from '../../core/src/telemetry/monitor/board';
import type { LiveMonitor } from '../../core/src/telemetry/monitor/LiveMonitor';
import type { InstanceSnapshot, MonitorBucket } from '../../core/src/telemetry/monitor/snapshot';
import { DURATION_BUCKETS } from '../../core/src/telemetry/createMetrics';

const BACKEND = (process.env.BENCH_BACKEND ?? 'postgres') as BackendKind;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PEERS = BACKEND === 'postgres' ? Number(process.env.BENCH_PEERS ?? 3) : 0;
const BUDGET_PCT = Number(process.env.BENCH_BUDGET_PCT ?? 1);
const POLL_MS = 2000;
const INTERVAL_MS = 2000;
const WINDOW_S = 300;
const TTFT_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

/** A busy instance's snapshot: every bucket of the window has traffic and both histograms. */
function syntheticSnapshot(id: string, now: number): InstanceSnapshot {
  const buckets: MonitorBucket[] = [];
  const end = Math.floor(now / INTERVAL_MS) * INTERVAL_MS;
  for (let t = end - WINDOW_S * 1000; t < end; t += INTERVAL_MS) {
    const lat = DURATION_BUCKETS.map((_, i) => (i > 3 && i < 10 ? 40 + i : 0)).concat(0);
    const ttft = TTFT_BOUNDS.map((_, i) => (i > 3 && i < 9 ? 10 + i : 0)).concat(0);
    buckets.push({ t, req: 300, e4: 3, e429: 2, e5: 1, cost: 0.0421, hit: 40, miss: 80, limited: 2, lat, ttft });
  }
  const breakers: Record<string, 0 | 1 | 2> = {};
  for (let d = 0; d < 12; d++) breakers[`provider-${d % 3}/model-${d}`] = d === 5 ? 2 : 0;
  return {
    id,
    startedAt: now - 3_600_000,
    publishedAt: now,
    intervalMs: INTERVAL_MS,
    latencyBounds: DURATION_BUCKETS,
    ttftBounds: TTFT_BOUNDS,
    buckets,
    breakers,
    queueLag: 12,
  };
}

/** Child: keeps synthetic peers on the board until killed. */
async function runPeers(redisUrl: string, prefix: string, count: number): Promise<void> {
  const store = createRedisStore({ url: redisUrl, prefix });
  const board = new RedisBoard(store);
  const publish = async () => {
    for (let i = 0; i < count; i++)
      await board.publish(syntheticSnapshot(`synthetic-peer-${i}`, Date.now()), 3 * INTERVAL_MS);
  };
  await publish();
  process.send?.('ready');
  setInterval(() => void publish(), INTERVAL_MS);
}

/**
 * Child: the Live screen's polling while the parent says so ('start' / 'stop'); after 'stop' it
 * answers with the figures of that phase.
 */
function runPoller(url: string, key: string): void {
  let active = false;
  let times: number[] = [];
  let bytes = 0;
  let instances = 0;
  const loop = async () => {
    while (active) {
      const started = Date.now();
      const res = await fetch(`${url}/admin/v1/monitor?window=60`, { headers: { authorization: `Bearer ${key}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`monitor route answered ${res.status}: ${body}`);
      times.push(Date.now() - started);
      bytes = body.length;
      instances = (JSON.parse(body) as { instances: unknown[] }).instances.length;
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - started))));
    }
  };
  let running: Promise<void> = Promise.resolve();
  process.on('message', (m) => {
    if (m === 'start') {
      active = true;
      times = [];
      running = loop();
    } else if (m === 'stop') {
      active = false;
      void running.then(() => {
        const sorted = [...times].sort((a, b) => a - b);
        process.send?.({
          polls: sorted.length,
          medianMs: sorted[Math.floor(sorted.length / 2)],
          p95Ms: sorted[Math.floor(sorted.length * 0.95)],
          bytes,
          instances,
        });
      });
    } else if (m === 'exit') process.exit(0);
  });
  process.send?.('ready');
}

function child(args: string[]): ChildProcess {
  return fork(__filename, args, { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** CPU share of one core (%) spent by this process while `fn` runs. */
async function cpuDuring(fn: () => Promise<void>): Promise<{ pct: number; cpuMs: number; seconds: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
  return {
    pct: ((cpu.user + cpu.system) / elapsedUs) * 100,
    cpuMs: (cpu.user + cpu.system) / 1000,
    seconds: elapsedUs / 1e6,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const backend = await createBackend(BACKEND);
  const adminKey = generateApiKey().key;
  const gw = await startTestGateway({
    plugins: [tenancy, auth, ai, usage],
    pluginConfig: {
      auth: {
        keySecret: 'bench-monitor-wall-secret-0123456789abcdefghij',
        issuer: 'http://127.0.0.1',
        bootstrap: { adminKey, print: false },
      },
      ai: { requireAuth: true },
    },
    config: { ...backend.config, telemetry: { monitor: { intervalMs: INTERVAL_MS, windowSeconds: WINDOW_S } } },
  });
  let pollerRef: ChildProcess | undefined;
  const peers = PEERS > 0 ? child(['peers', backend.redisUrl!, backend.keyPrefix, String(PEERS)]) : undefined;
  try {
    if (peers) await new Promise((resolve) => peers.once('message', resolve));
    const poller = child(['poll', gw.url, adminKey]);
    pollerRef = poller;
    await new Promise((resolve) => poller.once('message', resolve));
    type PollStats = { polls: number; medianMs: number; p95Ms: number; bytes: number; instances: number };
    const polling = async (ms: number): Promise<PollStats> => {
      poller.send('start');
      await sleep(ms);
      const stats = new Promise<PollStats>((resolve) => poller.once('message', (m) => resolve(m as PollStats)));
      poller.send('stop');
      return stats;
    };
    // Warm up: the first polls compile the route's code paths and fill the credential cache.
    await polling(6000);
    await sleep(2000);

    console.log(
      `monitor-wall: ${BACKEND}, ${PEERS} synthetic peer(s), ${ROUNDS} rounds of ${SECONDS} s idle + ${SECONDS} s with the wall open; polling every ${POLL_MS} ms`,
    );
    const rounds: { idlePct: number; openPct: number; costPct: number; polls: number }[] = [];
    let pollStats: PollStats | undefined;
    let idleCpuMs = 0;
    let idleS = 0;
    let openCpuMs = 0;
    let openS = 0;
    let polls = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const idle = await cpuDuring(() => sleep(SECONDS * 1000));
      const open = await cpuDuring(async () => {
        pollStats = await polling(SECONDS * 1000);
      });
      idleCpuMs += idle.cpuMs;
      idleS += idle.seconds;
      openCpuMs += open.cpuMs;
      openS += open.seconds;
      polls += pollStats!.polls;
      rounds.push({ idlePct: idle.pct, openPct: open.pct, costPct: open.pct - idle.pct, polls: pollStats!.polls });
      console.log(
        `  round ${r + 1}: idle ${idle.pct.toFixed(3)}%, wall open ${open.pct.toFixed(3)}% of a core (${pollStats!.polls} polls, median ${pollStats!.medianMs} ms, p95 ${pollStats!.p95Ms} ms, ${pollStats!.bytes} bytes, ${pollStats!.instances} instances)`,
      );
    }
    poller.send('exit');
    const idlePct = (idleCpuMs / 1000 / idleS) * 100;
    const openPct = (openCpuMs / 1000 / openS) * 100;
    const wallPct = openPct - idlePct;
    const perPollMs = (openCpuMs - (idleCpuMs / idleS) * openS) / polls;
    const medianRound = [...rounds].map((r) => r.costPct).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];

    // The publication's own cost, paid by every instance: one reading of the metrics plus one publish.
    const monitor = (gw.kernel as unknown as { monitor: LiveMonitor }).monitor;
    const ticks = 200;
    const tick = await cpuDuring(async () => {
      for (let i = 0; i < ticks; i++) await monitor.tick();
    });
    const tickMs = tick.cpuMs / ticks;
    const publishPct = (tickMs / INTERVAL_MS) * 100;
    console.log(
      `  one open wall costs ${wallPct.toFixed(3)}% of a core over all rounds (median round ${medianRound.toFixed(3)}%; ${perPollMs.toFixed(2)} ms CPU per poll); budget ${BUDGET_PCT}%`,
    );
    console.log(
      `  publication (every instance, wall or not): ${tickMs.toFixed(3)} ms CPU per tick = ${publishPct.toFixed(3)}% of a core at ${INTERVAL_MS} ms`,
    );

    const result = {
      backend: BACKEND,
      peers: PEERS,
      rounds,
      secondsPerPhase: SECONDS,
      pollMs: POLL_MS,
      idlePct,
      wallOpenPct: openPct,
      wallCostPct: wallPct,
      medianRoundCostPct: medianRound,
      cpuMsPerPoll: perPollMs,
      route: pollStats,
      publicationCpuMsPerTick: tickMs,
      publicationPct: publishPct,
      budgetPct: BUDGET_PCT,
      at: new Date().toISOString(),
    };
    const dir = path.resolve(__dirname, '..', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `monitor-wall-${BACKEND}.json`), JSON.stringify(result, null, 2) + '\n');
    if (wallPct >= BUDGET_PCT) {
      console.error(`monitor-wall: over budget (${wallPct.toFixed(3)}% ≥ ${BUDGET_PCT}%)`);
      process.exitCode = 1;
    }
  } finally {
    peers?.kill();
    pollerRef?.kill();
    await gw.stop();
    await backend.cleanup();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'peers') void runPeers(args[0], args[1], Number(args[2]));
else if (mode === 'poll') runPoller(args[0], args[1]);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
