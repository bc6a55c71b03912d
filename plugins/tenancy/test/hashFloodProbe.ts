/**
 * Measures what a flood of password verifications does to the rest of the process: 50 concurrent
 * `dummyVerify` calls (scrypt N=32768, what an unknown e-mail costs) while dns.lookup('localhost')
 * and a small fs.readFile are timed in two loops of their own, both on libuv's threadpool like the gateway's
 * upstream DNS, SQLite and zlib. Each mode runs in a fresh child process (clean RSS), modes
 * interleaved over rounds:
 *
 *   node --conditions=aihub-source --import tsx plugins/tenancy/test/hashFloodProbe.ts [rounds]
 *
 * Modes: `unbounded` (1000 concurrent: the behaviour before the bound), `bounded` (the defaults, 2
 * running and 32 waiting: 16 of 50 are refused), `bounded-q64` (2 running, 64 waiting: none refused).
 */
import { execFileSync, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { configurePasswordHashing, dummyVerify } from '../src/password';

const MODES: Record<string, { maxConcurrent: number; maxQueued: number }> = {
  unbounded: { maxConcurrent: 1000, maxQueued: 10_000 },
  bounded: { maxConcurrent: 2, maxQueued: 32 },
  'bounded-q64': { maxConcurrent: 2, maxQueued: 64 },
};
const FLOOD = 50;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function child(mode: string): Promise<void> {
  configurePasswordHashing({ N: 32768, ...MODES[mode] });
  const self = __filename;
  // Warm both paths (first-call costs) before the flood.
  await lookup('localhost');
  await readFile(self);
  let peakRss = process.memoryUsage.rss();
  const baseRss = peakRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5);
  const t0 = performance.now();
  let refused = 0;
  let done = false;
  const flood = Promise.all(
    Array.from({ length: FLOOD }, () =>
      dummyVerify('wrong password').catch(() => {
        refused++;
      }),
    ),
  ).then(() => (done = true));
  // The flood's scrypt calls are submitted a microtask later: let them queue first.
  await new Promise((r) => setTimeout(r, 20));
  // Two independent loops, so a stuck lookup does not hide how long a readFile waits (or back).
  const timeLoop = async (op: () => Promise<unknown>, into: number[]) => {
    while (!done) {
      const t = performance.now();
      await op();
      into.push(performance.now() - t);
    }
  };
  const dns: number[] = [];
  const fs: number[] = [];
  await Promise.all([timeLoop(() => lookup('localhost'), dns), timeLoop(() => readFile(self), fs), flood]);
  const floodMs = performance.now() - t0;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  process.stdout.write(
    JSON.stringify({
      mode,
      floodMs,
      refused,
      dnsMs: { n: dns.length, p50: pct(dns, 50), p95: pct(dns, 95), max: Math.max(...dns) },
      fsMs: { n: fs.length, p50: pct(fs, 50), p95: pct(fs, 95), max: Math.max(...fs) },
      baseRssMB: baseRss / 2 ** 20,
      peakRssMB: peakRss / 2 ** 20,
    }),
  );
}

function runChild(mode: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--conditions=aihub-source', '--import', 'tsx', __filename, '--child', mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`exit ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const rounds = Number(process.argv[2] ?? 3);
  console.log(`node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  for (let round = 1; round <= rounds; round++) {
    const order = Object.keys(MODES);
    if (round % 2 === 0) order.reverse();
    for (const mode of order) {
      const load = loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
      const r = await runChild(mode);
      const f = (x: unknown) => (typeof x === 'number' ? x.toFixed(1) : String(x));
      const d = r.dnsMs as Record<string, number>;
      const s = r.fsMs as Record<string, number>;
      console.log(
        `round ${round} ${mode.padEnd(11)} flood ${f(r.floodMs)} ms refused ${String(r.refused)} | dns n=${d.n} p50 ${f(d.p50)} p95 ${f(d.p95)} max ${f(d.max)} | fs n=${s.n} p50 ${f(s.p50)} p95 ${f(s.p95)} max ${f(s.max)} | rss ${f(r.baseRssMB)} -> peak ${f(r.peakRssMB)} MB | load ${load}`,
      );
    }
  }
  console.log(execFileSync('uptime').toString().trim());
}

void main();
