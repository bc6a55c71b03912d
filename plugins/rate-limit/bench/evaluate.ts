/**
 * Evaluation that decided the Redis algorithm: rate-limiter-flexible (one RateLimiterRedis per
 * dimension, consumed in parallel, plus the concurrency lease script) versus the plugin's single
 * admission script (all dimensions in one EVALSHA). Run against a real Redis:
 *
 *   node --conditions=aihub-source --import tsx plugins/rate-limit/bench/evaluate.ts [redis://127.0.0.1:6379]
 *
 * Prints p50/p99 latency of one decision at 1 in flight, and decisions/s at 64 in flight.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { admitScript, settleScript } from '../src/scripts';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379';
const prefix = `aihub-eval-${randomBytes(4).toString('hex')}:`;
const redis = new Redis(url);

type Decide = (i: number) => Promise<unknown>;

async function latency(decide: Decide, n: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await decide(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n / 2)] * 1000, p99: times[Math.floor(n * 0.99)] * 1000 };
}

async function throughput(decide: Decide, ms: number, inFlight: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      let i = w;
      while (performance.now() < end) {
        await decide(i);
        i += inFlight;
        done++;
      }
    }),
  );
  return Math.round(done / (ms / 1000));
}

function evalsha(script: { lua: string }) {
  const name = `s${randomBytes(3).toString('hex')}`;
  redis.defineCommand(name, { lua: script.lua });
  return (keys: string[], args: (string | number)[]) =>
    (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](keys.length, ...keys, ...args);
}

async function main(): Promise<void> {
  const admit = evalsha(admitScript);
  const settle = evalsha(settleScript);
  const big = 1e12; // never limited: we measure the decision, not refusals
  const rpm = new RateLimiterRedis({ storeClient: redis, points: big, duration: 60, keyPrefix: `${prefix}rlf-rpm` });
  const tpm = new RateLimiterRedis({ storeClient: redis, points: big, duration: 60, keyPrefix: `${prefix}rlf-tpm` });
  const keys = 50; // tenants
  const variants: Record<string, Decide> = {
    'rlf rpm+tpm (2 commands in parallel)': (i) =>
      Promise.all([rpm.consume(`t${i % keys}`, 1), tpm.consume(`t${i % keys}`, 100)]),
    'script rpm+tpm (1 EVALSHA)': (i) =>
      admit(
        [`${prefix}r:t${i % keys}`, `${prefix}tk:t${i % keys}`, `${prefix}c:t${i % keys}`],
        [60000, big, big, 100, 0, '', 0],
      ),
    'rlf rpm+tpm + lease script (3 commands)': (i) =>
      Promise.all([
        rpm.consume(`t${i % keys}`, 1),
        tpm.consume(`t${i % keys}`, 100),
        admit(
          [`${prefix}r2:t${i % keys}`, `${prefix}tk2:t${i % keys}`, `${prefix}c2:t${i % keys}`],
          [60000, 0, 0, 0, big, `m${i}`, 30000],
        ),
      ]),
    'script rpm+tpm+concurrency (1 EVALSHA)': (i) =>
      admit(
        [`${prefix}r3:t${i % keys}`, `${prefix}tk3:t${i % keys}`, `${prefix}c3:t${i % keys}`],
        [60000, big, big, 100, big, `m${i}`, 30000],
      ),
  };
  console.log(`redis ${url}, ${keys} keys; latency at 1 in flight (µs), throughput at 64 in flight`);
  for (const [name, decide] of Object.entries(variants)) {
    await latency(decide, 2000); // warm up
    const l = await latency(decide, 20000);
    const tp = await throughput(decide, 3000, 64);
    console.log(
      `${name.padEnd(44)} p50 ${l.p50.toFixed(0).padStart(4)} µs  p99 ${l.p99.toFixed(0).padStart(4)} µs  ${String(tp).padStart(7)} decisions/s`,
    );
  }
  // The settle script is the only other round trip (after the response is sent).
  const s = await latency(
    (i) => settle([`${prefix}tk3:t${i % keys}:0`, `${prefix}c3:t${i % keys}`], [-5, `m${i}`]),
    20000,
  );
  console.log(
    `${'settle (after the response)'.padEnd(44)} p50 ${s.p50.toFixed(0).padStart(4)} µs  p99 ${s.p99.toFixed(0).padStart(4)} µs`,
  );
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(found);
  } while (cursor !== '0');
  await redis.quit();
}

void main();
