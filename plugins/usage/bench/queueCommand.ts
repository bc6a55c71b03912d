/**
 * What one usage-queue write costs per record, by the Redis command that carries it (issue 20): the
 * XADD_BATCH script RedisStreamQueue sends (EVAL, the script's text with every call) against a plain
 * XADD, for one record per command (a write-ahead record when the call is alone) and for a batch.
 * Interleaved rounds in one process on one connection; per variant, the CPU of this process
 * (process.cpuUsage) and of the Redis server (INFO cpu, so other clients of that server add noise)
 * per record, medians over the rounds.
 *
 *   node --conditions=aihub-source --import tsx plugins/usage/bench/queueCommand.ts [--rounds 8] [--calls 5000] [--batch 1]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    calls: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '1' },
    url: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  },
});
const ROUNDS = Number(values.rounds);
const CALLS = Number(values.calls);
const BATCH = Number(values.batch);
const KEY = `bench:queueCommand:${process.pid}`;

// The same script as core/src/services/queue/RedisStreamQueue.ts (XADD_BATCH).
const XADD_BATCH = `local out = {}
for i = 2, #ARGV do
  local r
  if ARGV[1] == '' then r = redis.pcall('XADD', KEYS[1], '*', 'p', ARGV[i])
  else r = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'p', ARGV[i]) end
  if type(r) == 'table' and r.err then out[#out + 1] = '!' .. r.err else out[#out + 1] = r end
end
return out`;

// A write-ahead record as the hook builds it (writeAhead.ts pendingRecord).
const payload = JSON.stringify({
  requestId: 'req_0123456789abcdef0123',
  timestamp: Date.now(),
  tenantId: 'tenant-bench',
  keyId: 'key_0123456789abcdef',
  endpoint: 'chat.completions',
  model: 'gpt-4o-mini',
  resolvedModel: 'gpt-4o-mini-2024-07-18',
  provider: 'openai',
  deployment: 'openai-main',
  promptTokens: 12,
  status: 'pending',
});

const redis = new Redis(values.url!, { enableAutoPipelining: false });

const check = (r: unknown): void => {
  if (!Array.isArray(r) && typeof r !== 'string') throw new Error(`unexpected ${String(r)}`);
};

type Variant = { name: string; send: (payloads: string[]) => Promise<unknown> };
const variants: Variant[] = [
  {
    name: 'EVAL XADD_BATCH',
    send: (p) => redis.eval(XADD_BATCH, 1, KEY, '', ...p).then(check),
  },
  {
    name: BATCH === 1 ? 'XADD' : 'XADD pipeline',
    send: (p) => {
      if (p.length === 1) return redis.xadd(KEY, '*', 'p', p[0]).then(check);
      const pl = redis.pipeline();
      for (const x of p) pl.xadd(KEY, '*', 'p', x);
      return pl.exec().then(check);
    },
  },
];

async function redisCpuMs(): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(/* e.g. used_cpu_user:1.23 */ new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)![1]);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1000;
}

async function round(v: Variant): Promise<{ clientUs: number; redisUs: number }> {
  const payloads = Array.from({ length: BATCH }, () => payload);
  const r0 = await redisCpuMs();
  const c0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await v.send(payloads);
  const c = process.cpuUsage(c0);
  const r1 = await redisCpuMs();
  await redis.del(KEY);
  const records = CALLS * BATCH;
  return { clientUs: (c.user + c.system) / records, redisUs: ((r1 - r0) * 1000) / records };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  for (const v of variants) await round(v); // warm-up
  const results = new Map(variants.map((v) => [v.name, { client: [] as number[], redis: [] as number[] }]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      const x = await round(v);
      results.get(v.name)!.client.push(x.clientUs);
      results.get(v.name)!.redis.push(x.redisUs);
    }
  }
  console.log(`${ROUNDS} rounds x ${CALLS} commands of ${BATCH} record(s), ${process.version}`);
  for (const [name, x] of results)
    console.log(
      `${name.padEnd(16)} client ${median(x.client).toFixed(2)} µs/record (${Math.min(...x.client).toFixed(2)}–${Math.max(...x.client).toFixed(2)}), ` +
        `redis ${median(x.redis).toFixed(2)} µs/record (${Math.min(...x.redis).toFixed(2)}–${Math.max(...x.redis).toFixed(2)})`,
    );
  await redis.quit();
}

void main();
