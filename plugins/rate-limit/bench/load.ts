/**
 * Load helpers for the measurement scripts: autocannon on loopback, with every response time
 * recorded exactly (autocannon's own histogram has 1 ms resolution, too coarse for sub-ms deltas).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

// autocannon is installed in the bench workspace; resolve it from there.
const requireFromBench = createRequire(path.resolve(__dirname, '../../../bench/package.json'));

interface AutocannonClient {
  on(event: 'response', fn: (status: number, bytes: number, ms: number) => void): void;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = requireFromBench('autocannon') as Autocannon;

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

export async function load(o: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    method: o.method ?? 'POST',
    body: o.body,
    headers: o.headers,
    setupClient: (client: AutocannonClient) => client.on('response', (_s, _b, ms) => times.push(ms)),
  });
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, t) => s + t, 0) / (times.length || 1);
  return {
    connections: o.connections,
    seconds: o.seconds,
    requests: times.length,
    rps: Math.round(times.length / o.seconds),
    p50: pct(times, 0.5),
    p90: pct(times, 0.9),
    p99: pct(times, 0.99),
    mean,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function fmt(r: LoadResult): string {
  return `${String(r.rps).padStart(6)} req/s  p50 ${r.p50.toFixed(3)} ms  p90 ${r.p90.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`;
}
