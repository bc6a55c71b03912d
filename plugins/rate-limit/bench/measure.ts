/**
 * What rate limiting on Redis adds to a request: the same gateway (a trivial OpenAI-style handler
 * behind test identity) without and with the rate-limit plugin, each in its own process, loaded in
 * turn with autocannon on loopback. Limits are set so high that nothing is refused: this measures
 * the admission script, the headers and the after-response settle, not 429s.
 *
 *   node --conditions=aihub-source --import tsx plugins/rate-limit/bench/measure.ts [seconds] [redis-url]
 *
 * Prints p50/p90/p99 at 1 connection (latency) and req/s at 16 connections (throughput) per variant,
 * and the p50 delta over the baseline. Rounds alternate baseline and variants to even out noise.
 */
import { randomBytes } from 'node:crypto';
import { deleteRedisPrefix } from '../test/fixtures/backends';
import { startInstance, type Instance } from '../test/fixtures/processes';
import { fmt, load, type LoadResult } from './load';

const seconds = Number(process.argv[2] ?? 10);
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
const keyPrefix = `aihub-bench-${randomBytes(4).toString('hex')}:`;
const huge = { requestsPerMinute: 2_000_000_000, tokensPerMinute: 2_000_000_000 };

const variants: { name: string; plugins: unknown[] }[] = [
  { name: 'baseline (no rate limit)', plugins: [{ name: 'test-identity' }, { name: 'test-ai' }] },
  {
    name: 'rate-limit RPM+TPM on Redis',
    plugins: [{ name: 'test-identity' }, { name: 'test-ai' }, { name: 'rate-limit', config: { defaults: huge } }],
  },
  {
    name: 'rate-limit RPM+TPM+concurrency on Redis',
    plugins: [
      { name: 'test-identity' },
      { name: 'test-ai' },
      { name: 'rate-limit', config: { defaults: { ...huge, concurrentRequests: 1_000_000 } } },
    ],
  },
];

const body = JSON.stringify({
  model: 'gpt-bench',
  messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
  max_tokens: 20,
});
const headers = { 'content-type': 'application/json', 'x-test-tenant': 'bench', 'x-test-key': 'k1' };

async function main(): Promise<void> {
  const instances: Instance[] = [];
  try {
    for (const v of variants) {
      instances.push(
        await startInstance({
          config: { redis: { url: redisUrl, keyPrefix }, logging: { level: 'error' }, plugins: v.plugins },
          fakeAi: { promptTokens: 8, completionTokens: 12 },
        }),
      );
    }
    const url = (i: number) => `${instances[i].url}/v1/chat/completions`;
    // Warm-up: JIT, connection pools, the policy cache, Redis script cache.
    for (let i = 0; i < variants.length; i++) await load({ url: url(i), connections: 4, seconds: 2, body, headers });
    const latency: LoadResult[][] = variants.map(() => []);
    const rounds = 2;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < variants.length; i++)
        latency[i].push(await load({ url: url(i), connections: 1, seconds: seconds / rounds, body, headers }));
    }
    const throughput: LoadResult[] = [];
    for (let i = 0; i < variants.length; i++)
      throughput.push(await load({ url: url(i), connections: 16, seconds, body, headers }));

    console.log(`\nrate-limit overhead, ${seconds} s per measurement, node ${process.version}, redis ${redisUrl}`);
    const p50 = latency.map((runs) => runs.map((x) => x.p50).sort((a, b) => a - b)[0]);
    for (let i = 0; i < variants.length; i++) {
      console.log(`\n${variants[i].name}`);
      for (const run of latency[i]) console.log(`  1 conn   ${fmt(run)}`);
      console.log(`  16 conn  ${fmt(throughput[i])}`);
      if (i > 0)
        console.log(`  p50 delta over baseline (best round each): ${((p50[i] - p50[0]) * 1000).toFixed(0)} µs`);
    }
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await deleteRedisPrefix(redisUrl, keyPrefix);
  }
}

void main();
