/**
 * How fast a cache hit is answered, end to end over loopback HTTP: the same gateway (trivial
 * OpenAI-style handler behind test identity) without the cache, and with it answering every request
 * from L1 (JSON, and an SSE replay), each in its own process, loaded in turn with autocannon.
 *
 *   node --conditions=aihub-source --import tsx plugins/cache/bench/measure.ts [seconds] [redis-url]
 *
 * Target: a hit in under 1 ms p50 at 1 connection. With Redis configured (as in production) the
 * hit still comes from L1; the `l2 hit` variant turns L1 off (maxEntries 1, so every lookup goes to
 * Redis) to show what a shared-layer hit costs.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { deleteRedisPrefix } from '../../rate-limit/test/fixtures/backends';
import { startInstance, type Instance } from '../../rate-limit/test/fixtures/processes';
import { fmt, load, type LoadResult } from '../../rate-limit/bench/load';

const seconds = Number(process.argv[2] ?? 10);
const redisUrl = process.argv[3] ?? 'redis://127.0.0.1:6379';
const keyPrefix = `aihub-bench-${randomBytes(4).toString('hex')}:`;
const cacheModule = path.resolve(__dirname, '../src/index.ts');

const base = [{ name: 'test-identity' }, { name: 'test-ai' }];
const variants: { name: string; plugins: unknown[]; body: Record<string, unknown> }[] = [
  { name: 'baseline (no cache, handler answers)', plugins: base, body: {} },
  { name: 'cache hit from L1 (JSON)', plugins: [...base, { name: 'cache' }], body: {} },
  {
    name: 'cache hit from L1 (SSE replay)',
    plugins: [...base, { name: 'cache' }],
    body: { stream: true, stream_options: { include_usage: true } },
  },
  {
    name: 'cache hit from L2 Redis (L1 too small)',
    plugins: [...base, { name: 'cache', config: { l1: { maxEntries: 1, maxBytes: 1 } } }],
    body: {},
  },
];

const headers = { 'content-type': 'application/json', 'x-test-tenant': 'bench', 'x-test-key': 'k1' };
const bodyOf = (extra: Record<string, unknown>) =>
  JSON.stringify({
    model: 'gpt-bench',
    temperature: 0,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello in one short sentence.' },
    ],
    max_tokens: 20,
    ...extra,
  });

async function main(): Promise<void> {
  const instances: Instance[] = [];
  try {
    for (const v of variants) {
      instances.push(
        await startInstance({
          config: {
            redis: { url: redisUrl, keyPrefix: `${keyPrefix}${instances.length}:` },
            logging: { level: 'error' },
            plugins: v.plugins,
          },
          modules: [cacheModule],
          fakeAi: { completionTokens: 12 },
        }),
      );
    }
    const url = (i: number) => `${instances[i].url}/v1/chat/completions`;
    for (let i = 0; i < variants.length; i++) {
      // The first request fills the cache; the warm-up loads the JIT.
      await fetch(url(i), { method: 'POST', headers, body: bodyOf(variants[i].body) }).then((r) => r.arrayBuffer());
      await load({ url: url(i), connections: 4, seconds: 2, body: bodyOf(variants[i].body), headers });
      const probe = await fetch(url(i), { method: 'POST', headers, body: bodyOf(variants[i].body) });
      await probe.arrayBuffer();
      if (i > 0 && probe.headers.get('x-aihub-cache') !== 'hit')
        throw new Error(`${variants[i].name}: expected hits, got ${probe.headers.get('x-aihub-cache')}`);
    }
    const latency: LoadResult[][] = variants.map(() => []);
    const rounds = 2;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < variants.length; i++)
        latency[i].push(
          await load({
            url: url(i),
            connections: 1,
            seconds: seconds / rounds,
            body: bodyOf(variants[i].body),
            headers,
          }),
        );
    }
    const throughput: LoadResult[] = [];
    for (let i = 0; i < variants.length; i++)
      throughput.push(await load({ url: url(i), connections: 16, seconds, body: bodyOf(variants[i].body), headers }));
    console.log(`\ncache hit latency, ${seconds} s per measurement, node ${process.version}, redis ${redisUrl}`);
    for (let i = 0; i < variants.length; i++) {
      console.log(`\n${variants[i].name}`);
      for (const run of latency[i]) console.log(`  1 conn   ${fmt(run)}`);
      console.log(`  16 conn  ${fmt(throughput[i])}`);
    }
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    for (let i = 0; i < variants.length; i++) await deleteRedisPrefix(redisUrl, `${keyPrefix}${i}:`);
  }
}

void main();
