/**
 * Scaling of `aihub start --workers N` (issue 20): does a second worker double the throughput?
 *
 *   npm run bench:workers   # BENCH_WORKERS=1,2 BENCH_ROUNDS=5 BENCH_SECONDS=10 BENCH_CONNECTIONS=50 BENCH_WARMUP_SECONDS=10
 *
 * On a 2-core machine the workers share the cores with the load generator, the mock upstream,
 * PostgreSQL, Redis and other jobs, so "1 vs 2 workers" alone measures the machine, not the gateway.
 * Each serving process therefore gets a CPU budget of its own: a cgroup v1 CPU quota of
 * BENCH_WORKER_CPU cores (default 0.4) per worker, BENCH_PRIMARY_CPU (0.1) for the cluster's primary,
 * and BENCH_LOAD_CPU (0.8) for the load generator and the mock upstream together (bench/src/lib/cpuBudget.ts).
 * With every worker held to the same budget, N workers should serve N× the requests unless something
 * they share (the primary, the IPC metrics path, Redis, PostgreSQL) is the bottleneck. Without a
 * writable /sys/fs/cgroup/cpu it falls back to unbudgeted processes and says so.
 *
 * Every gateway (one per worker count, each with its own database and Redis prefix) runs for the
 * whole benchmark; rounds alternate between them, each round starting with the other one, and the
 * ratio is taken per round (same conditions) and its median reported. Per round it prints req/s,
 * p50/p99, the serving processes' CPU per request, each worker's CPU use against its quota and how
 * often it was throttled, its share of connections, and whether `/metrics` counted exactly the
 * requests answered (the cluster's aggregation under load). The gateway runs from `dist/`, as
 * `npm start` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { dropRedisPrefix } from './lib/aihub';
import { cpuBudgets, type CpuGroup, type CpuStat } from './lib/cpuBudget';
import { cpuMs, endServersOnExit, load, NODE_TUNING, repoRoot, round, track } from './lib/load';

const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER_CPU = Number(process.env.BENCH_WORKER_CPU ?? 0.4);
const PRIMARY_CPU = Number(process.env.BENCH_PRIMARY_CPU ?? 0.1);
const LOAD_CPU = Number(process.env.BENCH_LOAD_CPU ?? 0.8);
/** cgroup weight of the budgeted groups (1024 = one ordinary process); see CpuBudgets.group. */
const SHARES = Number(process.env.BENCH_CPU_SHARES ?? 4096);
/** Warm-up of each gateway at full speed before the budgets apply: V8 tiers up slowly at 0.4 core. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const ROUTE = '/v1/chat/completions';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Series of one metric family from Prometheus text. */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)/.exec(line)!;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** The mock upstream (OpenAI API) as its own process; resolves with its base URL. */
function startUpstream(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=aihub-source', '--import', 'tsx', 'bench/src/mock-upstream/cli.ts', '--port', '0'],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  track(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`the mock upstream exited with ${code}`)));
  });
}

interface Gateway {
  workers: number;
  child: ChildProcess;
  port: number;
  db: TestDatabase;
  prefix: string;
  /** The serving processes: the single process, or the cluster's workers by slot. */
  serving: { slot: string; pid: number; group?: CpuGroup }[];
  primary?: { pid: number; group?: CpuGroup };
  metrics(): Promise<string>;
}

async function startGateway(workers: number, dir: string, upstream: string): Promise<Gateway> {
  const port = await freePort();
  const db = await createTestDatabase('postgres');
  const prefix = `aihub-bench-workers-${process.pid}-${workers}:`;
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
      providers: { upstream: { type: openai, baseUrl: "${upstream}/v1", apiKey: bench-upstream-key } }
      models: { gpt-4o-mini: { deployments: [{ provider: upstream, model: gpt-4o-mini }] } }
`,
  );
  // From dist/, as `npm start` runs it; each worker inherits these V8 flags from the primary.
  const child = spawn(
    process.execPath,
    [...NODE_TUNING, path.join(repoRoot, 'core/dist/cli.js'), 'start', '--config', file, '--workers', String(workers)],
    {
      cwd: repoRoot,
      env: { ...process.env, AIHUB_PORT: '', AIHUB_CONFIG: '', AIHUB_WORKERS: '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  track(child);
  const metrics = () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => (r.ok ? r.text() : ''));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const text = await metrics().catch(() => '');
    const ready =
      workers === 1
        ? text.includes('aihub_http_requests')
        : new RegExp(`aihub_cluster_workers\\{state="ready"\\} ${workers}\\b`).test(text);
    if (ready) {
      const serving =
        workers === 1
          ? [{ slot: '1', pid: child.pid! }]
          : series(text, 'aihub_cluster_worker_info')
              .map((s) => ({ slot: s.labels.worker, pid: Number(s.labels.pid) }))
              .sort((a, b) => Number(a.slot) - Number(b.slot));
      return {
        workers,
        child,
        port,
        db,
        prefix,
        serving,
        primary: workers === 1 ? undefined : { pid: child.pid! },
        metrics,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the gateway with ${workers} workers did not start`);
    await sleep(300);
  }
}

interface Row {
  round: number;
  workers: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests the load generator got an answer to, and how many `/metrics` counted. */
  answered: number;
  counted: number;
  /** CPU of the serving processes together per request (ms), and of the primary. */
  cpuPerReq: number;
  primaryCpuPerReq: number;
  /** Of the workers' CPU per request, milliseconds in V8's garbage collector (`/metrics`). */
  gcPerReq: number;
  /** Per worker: cores used over the run, % of CFS periods throttled, connections accepted. */
  perWorker: { cores: number; throttled: number; connections: number }[];
  /** Cores the load generator and mock upstream used (their group's quota is LOAD_CPU). */
  loadCores: number;
  load: string;
}

const gcSeconds = (text: string) =>
  series(text, 'aihub_nodejs_gc_duration_seconds_sum').reduce((a, s) => a + s.value, 0);

const countRequests = (text: string) =>
  series(text, 'aihub_http_requests_total')
    .filter((s) => s.labels.route === ROUTE)
    .reduce((a, s) => a + s.value, 0);

async function measure(g: Gateway, roundNo: number, loadPids: number[]): Promise<Row> {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });
  const before = await g.metrics();
  const cpu0 = g.serving.map((w) => cpuMs(w.pid));
  const primary0 = g.primary ? cpuMs(g.primary.pid) : 0;
  const load0 = loadPids.map(cpuMs);
  const stat0 = g.serving.map((w) => w.group?.stat());
  const t0 = performance.now();
  const r = await load(`http://127.0.0.1:${g.port}${ROUTE}`, {
    connections: CONNECTIONS,
    seconds: SECONDS,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  const wallMs = performance.now() - t0;
  const cpu1 = g.serving.map((w) => cpuMs(w.pid));
  const primary1 = g.primary ? cpuMs(g.primary.pid) : 0;
  const load1 = loadPids.map(cpuMs);
  const stat1 = g.serving.map((w) => w.group?.stat());
  // Requests cut off when the timed run stopped finish (or close) on the server a moment later.
  await sleep(500);
  const after = await g.metrics();
  const counted = countRequests(after) - countRequests(before);
  const connections = (text: string, slot: string) =>
    series(text, 'aihub_cluster_worker_connections_total').find((s) => s.labels.worker === slot)?.value ?? NaN;
  const throttled = (a?: CpuStat, b?: CpuStat) =>
    a && b && b.periods > a.periods ? round((100 * (b.throttled - a.throttled)) / (b.periods - a.periods), 0) : NaN;
  const workerCpu = cpu1.reduce((a, c, i) => a + c - cpu0[i], 0);
  return {
    round: roundNo,
    workers: g.workers,
    rps: round(r.rps, 0),
    p50: r.p50,
    p99: r.p99,
    errors: r.errors + r.non2xx,
    answered: r.total,
    counted,
    cpuPerReq: round(workerCpu / counted, 3),
    primaryCpuPerReq: round((primary1 - primary0) / counted, 4),
    gcPerReq: round(((gcSeconds(after) - gcSeconds(before)) * 1000) / counted, 3),
    perWorker: g.serving.map((w, i) => ({
      cores: round((cpu1[i] - cpu0[i]) / wallMs, 2),
      throttled: throttled(stat0[i], stat1[i]),
      connections: g.workers === 1 ? CONNECTIONS : connections(after, w.slot) - connections(before, w.slot),
    })),
    loadCores: round(load1.reduce((a, c, i) => a + c - load0[i], 0) / wallMs, 2),
    load: loadAverage(),
  };
}

async function main(): Promise<void> {
  endServersOnExit();
  const budgets = cpuBudgets(`aihub-bench-w${process.pid}`);
  process.once('exit', () => budgets?.removeAll());
  const dir = mkdtempSync(path.join(tmpdir(), 'aihub-bench-workers-'));
  const gateways: Gateway[] = [];
  const rows: Row[] = [];
  const upstream = await startUpstream();
  const loadPids = [process.pid, upstream.child.pid!];
  try {
    for (const workers of WORKERS) gateways.push(await startGateway(workers, dir, upstream.url));
    const warm = (g: Gateway) =>
      load(`http://127.0.0.1:${g.port}${ROUTE}`, {
        connections: CONNECTIONS,
        seconds: WARMUP_SECONDS,
        method: 'POST',
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
        headers: { 'content-type': 'application/json' },
      });
    // Warm-up (JIT, pools) at full speed, before any budget applies.
    for (const g of gateways) await warm(g);
    if (budgets) {
      // Each process is moved once it is up: a budget of 0.1 core would make the boot itself crawl.
      const rest = budgets.group('load', LOAD_CPU, SHARES);
      for (const pid of loadPids) rest.add(pid);
      for (const g of gateways) {
        for (const w of g.serving) {
          w.group = budgets.group(`n${g.workers}-w${w.slot}`, WORKER_CPU, SHARES);
          w.group.add(w.pid);
        }
        if (g.primary) {
          g.primary.group = budgets.group(`n${g.workers}-primary`, PRIMARY_CPU, SHARES);
          g.primary.group.add(g.primary.pid);
        }
      }
    } else {
      console.log(
        'No writable /sys/fs/cgroup/cpu (cgroup v1): workers run without CPU budgets, sharing the cores with the load generator — the ratio measures the machine as much as the gateway.',
      );
    }
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 ? [...gateways].reverse() : gateways;
      for (const g of order) {
        const row = await measure(g, i + 1, loadPids);
        rows.push(row);
        process.stdout.write(
          `round ${row.round}: ${row.workers} worker(s) ${row.rps} req/s, p50 ${row.p50} ms, cores per worker ${row.perWorker.map((w) => w.cores).join('/')}, load ${row.load}\n`,
        );
      }
    }
  } finally {
    for (const g of gateways) {
      const exited = new Promise((r) => g.child.once('exit', r));
      g.child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
      await g.db.drop().catch(() => {});
      await dropRedisPrefix(REDIS, g.prefix).catch(() => {});
    }
    upstream.child.kill('SIGTERM');
    budgets?.removeAll();
    rmSync(dir, { recursive: true, force: true });
  }
  report(rows, Boolean(budgets));
}

function report(rows: Row[], budgeted: boolean): void {
  const budget = budgeted
    ? `each worker capped at ${WORKER_CPU} core, the primary at ${PRIMARY_CPU}, load generator + mock upstream at ${LOAD_CPU} (cgroup v1 CPU quotas, weight ${SHARES})`
    : 'NO CPU budgets (cgroup v1 not writable): workers share the cores with the load generator';
  console.log(
    `\naihub start --workers N: POST ${ROUTE} (mock upstream over HTTP), ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s, ${budget}; 1 worker = the single process \`--workers 1\` runs`,
  );
  console.log(
    '| round | workers | req/s | ×1 worker | p50 ms | p99 ms | errors | answered / counted by /metrics | CPU ms/req (workers) | of which GC | primary CPU ms/req | cores used per worker | throttled % per worker | connections per worker | load gen. cores | load average |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const ratios = new Map<number, number[]>();
  for (const r of rows) {
    const one = rows.find((x) => x.round === r.round && x.workers === WORKERS[0])!;
    const ratio = round(r.rps / one.rps);
    if (r.workers !== WORKERS[0]) ratios.set(r.workers, [...(ratios.get(r.workers) ?? []), ratio]);
    console.log(
      `| ${r.round} | ${r.workers} | ${r.rps} | ${ratio} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.answered} / ${r.counted} | ${r.cpuPerReq} | ${r.gcPerReq} | ${r.workers === 1 ? '–' : r.primaryCpuPerReq} | ${r.perWorker.map((w) => w.cores).join(' / ')} | ${r.perWorker.map((w) => w.throttled).join(' / ')} | ${r.perWorker.map((w) => w.connections).join(' / ')} | ${r.loadCores} | ${r.load} |`,
    );
  }
  console.log('\n| workers | median req/s | median ×1 worker (per-round ratios) | median CPU ms/req | of which GC |');
  console.log('|---|---|---|---|---|');
  for (const n of WORKERS) {
    const mine = rows.filter((r) => r.workers === n);
    const rs = ratios.get(n);
    console.log(
      `| ${n} | ${median(mine.map((r) => r.rps))} | ${rs ? `${round(median(rs))} (${rs.join(', ')})` : '1'} | ${round(median(mine.map((r) => r.cpuPerReq)), 3)} | ${round(median(mine.map((r) => r.gcPerReq)), 3)} |`,
    );
  }
  const miscounted = rows.filter((r) => r.counted < r.answered || r.counted > r.answered + CONNECTIONS);
  console.log(
    miscounted.length
      ? `\n/metrics MISCOUNTED in ${miscounted.length} run(s): ${miscounted.map((r) => `round ${r.round} ×${r.workers}: ${r.answered} answered, ${r.counted} counted`).join('; ')}`
      : `\n/metrics counted every answered request in every run (at most ${CONNECTIONS} more: those cut off in flight when a run stopped).`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
