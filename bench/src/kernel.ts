/**
 * `npm run bench:kernel`: the kernel (health + example plugins, tracing on at the production default
 * of parent-based 10% sampling, exporting to a local OTLP sink) against a bare Koa app answering the
 * same route, in one run on loopback. Each server is pinned to core 0, the load generator to core 1.
 * Each measurement is repeated; the spread between repeats is printed as the noise indicator.
 * Targets (issue: Foundation): ≥ 85% of bare Koa's requests/s, ≤ +0.2 ms p50.
 */
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuMs, endServersOnExit, latencyProbe, load, pinSelf, repoRoot, round, startServer, stopServer, type LoadResult } from './lib/load';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const ROUTE = '/plugins/example/info';

async function otlpSink(): Promise<{ url: string; spans: () => number; close: () => void }> {
  let posts = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      const protobuf = (req.headers['content-type'] ?? '').startsWith('application/x-protobuf');
      res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' }).end(protobuf ? undefined : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`, spans: () => posts, close: () => server.close() };
}

async function measure(name: string, url: string, pid: number): Promise<{ c1: LoadResult[]; c50: LoadResult[]; cpuUs: number[] }> {
  await load(url, { connections: 10, seconds: 3 }); // warm-up (JIT, pools)
  const c1: LoadResult[] = [];
  const c50: LoadResult[] = [];
  const cpuUs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const before = cpuMs(pid);
    const r = await load(url, { connections: 50, seconds: SECONDS });
    cpuUs.push(round(((cpuMs(pid) - before) * 1000) / r.total, 1));
    c50.push(r);
    const probe = await latencyProbe(url, { seconds: SECONDS });
    c1.push({ rps: probe.count / SECONDS, total: probe.count, p50: probe.p50, p99: probe.p99, errors: probe.errors, non2xx: 0 });
  }
  process.stdout.write(`${name.padEnd(10)} 50 conn: ${c50.map((r) => Math.round(r.rps)).join(' / ')} req/s   CPU ${cpuUs.join(' / ')} µs/req   1 conn p50: ${c1.map((r) => r.p50).join(' / ')} ms\n`);
  return { c1, c50, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / median(xs);

async function main() {
  pinSelf(1);
  endServersOnExit();
  const sink = await otlpSink();
  const bare = await startServer(['bench/src/kernel/bare-koa.ts', '0']);
  const bareRes = await measure('bare koa', `http://127.0.0.1:${bare.port}${ROUTE}`, bare.child.pid!);
  await stopServer(bare.child);
  const gw = await startServer(['bench/src/kernel/gateway.ts', '0', sink.url]);
  const gwRes = await measure('aihub', `http://127.0.0.1:${gw.port}${ROUTE}`, gw.child.pid!);
  await stopServer(gw.child);
  sink.close();

  const bareRps = median(bareRes.c50.map((r) => r.rps));
  const gwRps = median(gwRes.c50.map((r) => r.rps));
  const bareP50 = median(bareRes.c1.map((r) => r.p50));
  const gwP50 = median(gwRes.c1.map((r) => r.p50));
  const errors = [...bareRes.c50, ...bareRes.c1, ...gwRes.c50, ...gwRes.c1].reduce((n, r) => n + r.errors + r.non2xx, 0);
  const result = {
    when: new Date().toISOString(),
    seconds: SECONDS,
    repeats: REPEATS,
    bareKoa: { rps50: round(bareRps, 0), p50ms: bareP50, p99ms: median(bareRes.c50.map((r) => r.p99)) },
    aihub: { rps50: round(gwRps, 0), p50ms: gwP50, p99ms: median(gwRes.c50.map((r) => r.p99)) },
    rpsRatio: round(gwRps / bareRps, 3),
    cpuUsPerRequest: { bareKoa: median(bareRes.cpuUs), aihub: median(gwRes.cpuUs) },
    /** Throughput ratio implied by CPU per request (each server has one core): robust to other load. */
    cpuRatio: round(median(bareRes.cpuUs) / median(gwRes.cpuUs), 3),
    addedP50ms: round(gwP50 - bareP50, 3),
    noise: { bareRps: round(spread(bareRes.c50.map((r) => r.rps)), 3), aihubRps: round(spread(gwRes.c50.map((r) => r.rps)), 3) },
    otlpExports: sink.spans(),
    errors,
    targets: { rpsRatio: 0.85, addedP50ms: 0.2 },
  };
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'bench/results/kernel-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `\nAI Hub kernel: ${round(result.rpsRatio * 100, 1)}% of bare Koa req/s (target ≥ 85%), p50 at 1 connection +${result.addedP50ms} ms (target ≤ +0.2 ms)\n` +
      `CPU per request: bare ${result.cpuUsPerRequest.bareKoa} µs, aihub ${result.cpuUsPerRequest.aihub} µs → ${round(result.cpuRatio * 100, 1)}% of bare Koa's throughput per core\n` +
      `noise (spread between repeats at 50 conn): bare ${round(result.noise.bareRps * 100, 1)}%, aihub ${round(result.noise.aihubRps * 100, 1)}%; errors ${errors}; OTLP exports ${result.otlpExports}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
