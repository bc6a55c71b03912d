import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import ts from 'typescript';
import { Pool } from 'undici';

export const repoRoot = path.resolve(__dirname, '../../..');

export interface LoadResult {
  rps: number;
  /** Requests completed in the run. */
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs autocannon for `seconds` (or `amount` requests) at `connections`; returns req/s and latency percentiles (ms). */
export async function load(
  url: string,
  opts: {
    connections: number;
    seconds: number;
    amount?: number;
    /** Requests per second over all connections (autocannon's overallRate); unset: as fast as served. */
    rate?: number;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
  },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    // A number of requests instead of a duration (the soak).
    ...(opts.amount ? { amount: opts.amount } : {}),
    ...(opts.rate ? { overallRate: opts.rate } : {}),
    method: (opts.method ?? 'GET') as 'GET',
    body: opts.body,
    headers: opts.headers,
    pipelining: 1,
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * The machine's cores. Not availableParallelism(): that follows this process's own affinity, which
 * pinSelf() narrows to one core, after which every server would silently inherit the load
 * generator's core instead of getting its own.
 */
const CORES = cpus().length;

/**
 * V8 flags every benchmarked server runs with: those of AI Hub's production start command
 * (package.json start, the Dockerfile's CMD). The peer and the bare servers get them too, so the
 * comparison stays about the code. BENCH_NODE_FLAGS (space-separated) replaces them for experiments.
 */
export const NODE_TUNING =
  process.env.BENCH_NODE_FLAGS !== undefined
    ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean)
    : ['--max-semi-space-size=32'];

let serverNode = process.execPath;

/**
 * The Node binary benchmarked servers run on from now on (default: this process's). The load
 * generator and the mock upstream stay on this process's runtime, so two runtimes' figures differ
 * only by the servers'.
 */
export function useRuntime(execPath: string): void {
  serverNode = execPath;
}

/** The binary of Node `major`: this process's when it is that major, else the npm registry's `node` package (as .ci/run). */
export function nodeBinary(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  return execFileSync('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], {
    encoding: 'utf8',
    cwd: repoRoot,
  }).trim();
}

/** The Node binary benchmarked servers run on (see useRuntime). */
export function serverRuntime(): string {
  return serverNode;
}

/** Pins a command to one core when there are at least two (the load generator takes the other). */
export function pinned(core: number, cmd: string, args: string[]): [string, string[]] {
  return CORES >= 2 ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/**
 * A benchmarked server's entry as plain JavaScript when it imports only packages (no relative
 * files): transpiled once into bench/dist/, so the process runs as `npm start` runs AI Hub, without
 * tsx, whose loader alone adds ~35 MB of RSS and would be billed to the server. Other entries (the
 * mock upstream) keep running through tsx.
 */
function plainEntry(entry: string): string | undefined {
  const file = path.resolve(repoRoot, entry);
  if (!file.endsWith('.ts')) return undefined;
  const source = readFileSync(file, 'utf8');
  if (/from '\./.test(source)) return undefined;
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  }).outputText;
  const out = path.join(repoRoot, 'bench/dist', `${path.basename(file, '.ts')}.js`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, js);
  return out;
}

/** How long a benchmarked server may take to start (BENCH_START_TIMEOUT_MS, default 60 s; startServer, startPeer). */
export const START_TIMEOUT_MS = Number(process.env.BENCH_START_TIMEOUT_MS ?? 60_000);

/**
 * Starts a server process that prints `listening <port>` and resolves with it. The @aihub packages
 * load from their builds (dist/), as `npm start` runs them, and the entry runs as plain JavaScript
 * when it can (plainEntry): tsx's transform wraps every closure in a naming helper and its loader
 * takes memory, both of which would be billed to the gateway.
 */
export function startServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  core = 0,
  cwd = repoRoot,
  node = serverNode,
  timeoutMs = START_TIMEOUT_MS,
): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_CPU_PROF=<dir>: every server writes a V8 CPU profile there when it stops (open in DevTools).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const plain = plainEntry(args[0]);
  const entry = plain ? [plain, ...args.slice(1)] : ['--import', 'tsx', ...args];
  const [cmd, argv] = pinned(core, node, [
    ...prof,
    ...NODE_TUNING,
    ...(env.BENCH_NODE_EXTRA?.split(' ').filter(Boolean) ?? []),
    ...entry,
  ]);
  const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    // A server that does not start in time is ended (by its PID), and the error comes once it has
    // exited: nothing is left running for the exit handler to find.
    let timedOut: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = new Error(`server ${args.join(' ')} did not start within ${timeoutMs / 1000} s: ${err}`);
      void stopServer(child);
    }, timeoutMs);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      // "listening" after the timeout fired names a server being stopped: the start failed, and the
      // caller (which never gets the child) must not go on with it. The rejection comes on its exit.
      if (timedOut) return;
      out += d;
      const m = /listening (\d+)|"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1] ?? m[2]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(timedOut ?? new Error(`server ${args.join(' ')} exited with ${code}: ${err}`));
    });
  });
}

const started = new Set<ChildProcess>();

/** Counts a server the benchmark spawned itself (not through startServer) for endServersOnExit. */
export function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
}

/**
 * Ends every server still running when the benchmark exits, however it exits (Ctrl-C, a kill, an
 * error): none is left behind, including a metering worker held with SIGSTOP, which is woken first.
 */
export function endServersOnExit(): void {
  process.once('exit', () => {
    for (const child of started) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/**
 * Runs every clean-up step in order, each whatever the ones before it did: one failed stop must not
 * leave the next server to the exit handler, nor keys in Redis. Each failure is written to stderr
 * (under `label`) and sets process.exitCode to 1; nothing is thrown, because in a `finally` a throw
 * would replace the error that brought the run there. Returns the failures.
 */
export async function cleanUp(label: string, steps: (() => unknown)[]): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(err);
      process.stderr.write(`${label}: clean-up step failed: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  if (failures.length) process.exitCode = 1;
  return failures;
}

export async function stopServer(child: ChildProcess): Promise<void> {
  // A process a signal ended has a signalCode and no exitCode: its 'exit' has come already.
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** A process's resident set size in MB (Linux /proc; NaN once it has exited). */
export function rssMb(pid: number): number {
  try {
    return round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024, 1);
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS every 250 ms until stopped; returns the peak and the last sample (MB). */
export function rssSampler(pid: number): { stop: () => { peak: number; last: number; samples: number[] } } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssMb(pid)), 250);
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(rssMb(pid));
      return { peak: Math.max(...samples.filter((x) => !Number.isNaN(x))), last: samples.at(-1)!, samples };
    },
  };
}

/** Pins this process (the load generator) to a core. */
export function pinSelf(core: number): void {
  if (CORES < 2) return;
  spawn('taskset', ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** p50 and p99 (ms, µs precision) of latency samples; NaN when there are none. */
function percentiles(samples: number[]): { p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    samples.length ? round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))], 3) : NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * Latency at one connection with microsecond resolution (autocannon reports whole milliseconds):
 * sequential requests over one keep-alive connection, timed with the monotonic clock.
 */
export async function latencyProbe(
  url: string,
  opts: { seconds: number; method?: string; body?: string; headers?: Record<string, string> },
): Promise<{ p50: number; p99: number; count: number; errors: number }> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 1, pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  const deadline = performance.now() + opts.seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const res = await pool.request({
        path: u.pathname + u.search,
        method: (opts.method ?? 'GET') as 'GET',
        body: opts.body,
        headers: opts.headers,
      });
      await res.body.arrayBuffer();
      samples.push(performance.now() - t0);
      if (res.statusCode >= 400) errors++;
    }
  } finally {
    await pool.close();
  }
  return { ...percentiles(samples), count: samples.length, errors };
}

/**
 * Time to first byte of a streamed answer at one connection: sequential streaming requests, timed
 * from sending the request to the first body chunk (the first SSE event) with the monotonic clock.
 */
export async function ttfbProbe(
  url: string,
  opts: { seconds: number; body: string; headers?: Record<string, string> },
): Promise<{ p50: number; p99: number; count: number; errors: number }> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 1, pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  const deadline = performance.now() + opts.seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const res = await pool.request({
        path: u.pathname,
        method: 'POST',
        body: opts.body,
        headers: { 'content-type': 'application/json', ...opts.headers },
      });
      let first = 0;
      for await (const chunk of res.body) {
        if (!first && (chunk as Buffer).length) first = performance.now() - t0;
      }
      if (res.statusCode >= 400) errors++;
      else samples.push(first);
    }
  } finally {
    await pool.close();
  }
  return { ...percentiles(samples), count: samples.length, errors };
}

/**
 * CPU time (user + system, ms) a process has used so far, from /proc. CPU per request is far less
 * sensitive to other load on the machine than requests per second.
 */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 1/100 s ticks
  } catch {
    return NaN;
  }
}
