/**
 * `node --import tsx bench/src/cpuprofile-summary.ts <a.cpuprofile> [b.cpuprofile] [--top N]`: a V8
 * CPU profile's (`--cpu-prof`, e.g. from runtime-ab.ts's BENCH_CPU_PROF) self time by module and by
 * function, as a share of the main thread's busy time (the profile's time minus `(idle)`), or with
 * `--requests <n>[,<m>]` (the requests each profiled server served) in µs per request; with
 * runtime-ab.ts's `windows.json` beside each profile, only its measured rounds count, per request
 * (start-up and warm-up left out). With two
 * profiles (e.g. the same server on Node 20 and on Node 24), the rows are side by side with the
 * difference in points, largest first: where one runtime spends what the other does not.
 *
 * A module is a package under node_modules (`undici`, `hono`, `@hono/node-server`), a file of Node's
 * own library (`node:internal/webstreams/readablestream`; `node:internal/deps/undici/undici` is the
 * undici bundled as the global `fetch`), a file of ours, or a V8 pseudo-node (`(garbage
 * collector)`, `(program)`). Functions without a script (V8 builtins and natives called from
 * JavaScript) are `(native)`.
 *
 * `--max-gap <n>` (default 4; 0 turns it off): a sample stands for the time until the next one, at
 * most n × the profile's median sampling interval. On a shared machine the profiler can go tens of
 * milliseconds without a sample (the process or its sampling thread descheduled), and the whole gap
 * was billed to whatever function the sample before it caught: in one Node 24 profile at load 2-4,
 * gaps over 5 ms held 14 % of the profiled time, and one of 118 ms made a 10-line function
 * (RequestLog.add) look like the gateway's costliest at 19.9 µs per request (2.6 with the cap).
 * The time left out is printed with the totals.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) per module and per function, and the busy time they are shares of. */
interface Summary {
  busyUs: number;
  totalUs: number;
  modules: Map<string, number>;
  functions: Map<string, number>;
  /** Time left out by the gap cap (see `--max-gap`), and the samples it was cut from. */
  cappedUs: number;
  cappedSamples: number;
  /** The median interval between samples (µs): the profiler's sampling interval as it ran. */
  intervalUs: number;
}

function moduleOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return url.replace(/\.js$/, '');
  return url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
}

/** runtime-ab.ts's `windows.json` beside a profile: the measured rounds (µs, the profile's clock) and their requests. */
interface Windows {
  requests: number;
  windows: [number, number][];
}

function windowsOf(file: string): Windows | undefined {
  const at = path.join(path.dirname(file), 'windows.json');
  return existsSync(at) ? (JSON.parse(readFileSync(at, 'utf8')) as Windows) : undefined;
}

function summarize(file: string, within?: Windows): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const counted = (t: number) => !within || within.windows.some(([a, b]) => t >= a && t < b);
  const sorted = [...p.timeDeltas].sort((a, b) => a - b);
  const intervalUs = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const cap = maxGap > 0 ? maxGap * intervalUs : Infinity;
  let cappedUs = 0;
  let cappedSamples = 0;
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (!counted(t)) continue;
    let dt = p.timeDeltas[i + 1] ?? 0;
    if (dt > cap) {
      cappedUs += dt - cap;
      cappedSamples++;
      dt = cap;
    }
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalUs += us;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const mod = moduleOf(url, functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    // Two runtimes' profiles are compared function by function: Node's own files differ in line
    // numbers between majors, so the line is kept only for single-profile listings.
    const fn = `${functionName || '(anonymous)'} ${mod}${url && !comparing ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  return { busyUs: totalUs - idleUs, totalUs, modules, functions, cappedUs, cappedSamples, intervalUs };
}

/**
 * Rows of `key`, as shares of busy time, or with `requests` (per profile: the requests the server
 * served while profiled) as µs per request: the figure to compare when the two runs served
 * different numbers of requests, since a share that stays put can still be a cost that halved.
 */
function table(title: string, key: 'modules' | 'functions', sums: Summary[], top: number, requests?: number[]): string {
  const keys = new Set(sums.flatMap((s) => [...s[key].keys()]));
  const pct = (s: Summary, k: string) =>
    requests ? (s[key].get(k) ?? 0) / requests[sums.indexOf(s)] : (100 * (s[key].get(k) ?? 0)) / s.busyUs;
  const rows = [...keys].map((k) => ({ k, shares: sums.map((s) => pct(s, k)) }));
  const weight = (r: { shares: number[] }) => (sums.length === 2 ? Math.abs(r.shares[0] - r.shares[1]) : r.shares[0]);
  rows.sort((a, b) => weight(b) - weight(a));
  const lines = rows
    .slice(0, top)
    .map(
      (r) =>
        `  ${r.shares.map((x) => x.toFixed(1).padStart(6)).join(' ')}${
          sums.length === 2
            ? ` ${(r.shares[1] - r.shares[0] >= 0 ? '+' : '') + (r.shares[1] - r.shares[0]).toFixed(1)}`.padStart(8)
            : ''
        }  ${r.k}`,
    );
  return `${title} (${requests ? 'µs per request' : '% of busy time'}${sums.length === 2 ? '; first, second, second − first, by the size of the difference' : ''}):\n${lines.join('\n')}\n`;
}

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const top = Number(option('--top') ?? 25);
const maxGap = Number(option('--max-gap') ?? 4);
const requestsOption = option('--requests');
const comparing = args.length === 2;
// With runtime-ab.ts's windows.json beside every profile: only the measured rounds, per request.
const windows = args.map(windowsOf);
const measured = windows.every(Boolean) ? (windows as Windows[]) : undefined;
const requests = requestsOption?.split(',').map(Number) ?? measured?.map((w) => w.requests);
const sums = args.map((f, i) => summarize(f, measured?.[i]));
if (measured) process.stdout.write('(measured rounds only, from windows.json)\n');
for (const [i, s] of sums.entries())
  process.stdout.write(
    `${args[i]}: ${(s.totalUs / 1e6).toFixed(2)} s profiled, ${(s.busyUs / 1e6).toFixed(2)} s busy (${((100 * s.busyUs) / s.totalUs).toFixed(1)} %)` +
      (s.cappedSamples
        ? `; ${(s.cappedUs / 1e6).toFixed(2)} s of gaps left out (${s.cappedSamples} samples followed by more than ${maxGap} × the ${s.intervalUs} µs median interval)`
        : '') +
      '\n',
  );
if (requests && requests.length !== sums.length) throw new Error('--requests: one count per profile');
if (requests)
  process.stdout.write(`busy µs per request: ${sums.map((s, i) => (s.busyUs / requests[i]).toFixed(0)).join(', ')}\n`);
process.stdout.write(table('self time by module', 'modules', sums, top, requests));
process.stdout.write(table('self time by function', 'functions', sums, top, requests));
