/**
 * Behavior ingestion benchmark (bounded): the gateway with the behavior plugin on PostgreSQL + Redis
 * (the production setup), loaded with /v1/batch calls of N events by C concurrent clients for D
 * seconds. Reports events/s accepted (HTTP 200, durable in the Redis Stream) and events/s landed in
 * PostgreSQL (rows written by the consumer, measured until the last accepted event is in).
 *
 *   node --conditions=aihub-source --import tsx plugins/behavior/bench/ingest.ts [--seconds 10] [--batch 100] [--concurrency 8]
 *
 * Needs PostgreSQL at 127.0.0.1:5432 (AIHUB_TEST_PG_URL) and Redis at 127.0.0.1:6379 (AIHUB_TEST_REDIS_URL).
 * Creates its own database and key prefix and removes them afterwards.
 */
import { parseArgs } from 'node:util';
import { startTestGateway } from '@aihub/core/testing';
import behaviorPlugin from '../src/index';
import { createBackend } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    users: { type: 'string', default: '5000' },
  },
});
const seconds = Number(values.seconds);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const users = Number(values.users);

const EVENTS = ['Page Viewed', 'Product Viewed', 'Added To Cart', 'Checkout Started', 'Order Completed'];

function makeBatch(worker: number, n: number): string {
  const now = Date.now();
  const batch = [];
  for (let i = 0; i < batchSize; i++) {
    const user = `user-${(worker * 7919 + n * 31 + i) % users}`;
    batch.push(
      i % 20 === 0
        ? {
            type: 'identify',
            userId: user,
            traits: { plan: i % 3 ? 'free' : 'pro', company: 'Acme' },
            messageId: `w${worker}-${n}-${i}`,
            timestamp: new Date(now - i).toISOString(),
          }
        : {
            type: 'track',
            userId: user,
            event: EVENTS[i % EVENTS.length],
            properties: { sku: `sku-${i % 50}`, price: (i % 9) + 0.99, currency: 'USD' },
            context: { ip: '203.0.113.7', userAgent: 'bench/1.0' },
            messageId: `w${worker}-${n}-${i}`,
            timestamp: new Date(now - i).toISOString(),
          },
    );
  }
  return JSON.stringify({ batch, sentAt: new Date(now).toISOString() });
}

async function main(): Promise<void> {
  const backend = await createBackend('postgres');
  const gw = await startTestGateway({
    plugins: [identityPlugin(), behaviorPlugin],
    pluginConfig: { behavior: { consumer: { batchSize: 2000, blockMs: 200 } } },
    config: { ...backend.config, telemetry: { metrics: { processMetrics: false } } },
  });
  const headers = {
    'content-type': 'application/json',
    ...asCaller({ tenant: 'bench', key: 'k-bench', scopes: ['events:write'] }),
  };
  const { createDatabase } = await import('@aihub/core/testing');
  const db = createDatabase({ url: backend.databaseUrl });
  const landed = async () =>
    Number(
      (
        (await db.sequelize.query('SELECT COUNT(*) AS n FROM behavior_events', { type: 'SELECT' })) as { n: string }[]
      )[0].n,
    );
  try {
    // Warm-up: connections, prepared paths, JIT.
    for (let i = 0; i < 5; i++)
      await (await fetch(`${gw.url}/v1/batch`, { method: 'POST', headers, body: makeBatch(999, i) })).arrayBuffer();
    while ((await landed()) < 5 * batchSize) await new Promise((r) => setTimeout(r, 50));
    const base = await landed();

    let accepted = 0;
    let failed = 0;
    const latencies: number[] = [];
    const start = performance.now();
    const deadline = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let n = 0; performance.now() < deadline; n++) {
          const body = makeBatch(w, n);
          const t0 = performance.now();
          const res = await fetch(`${gw.url}/v1/batch`, { method: 'POST', headers, body });
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          if (res.status === 200) accepted += batchSize;
          else failed++;
        }
      }),
    );
    const sendSeconds = (performance.now() - start) / 1000;
    while ((await landed()) - base < accepted) await new Promise((r) => setTimeout(r, 20));
    const landSeconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
    const result = {
      setup: { batch: batchSize, concurrency, seconds, database: 'postgresql', queue: 'redis-streams', users },
      accepted_events: accepted,
      failed_requests: failed,
      accepted_events_per_s: Math.round(accepted / sendSeconds),
      landed_events_per_s: Math.round(accepted / landSeconds),
      drain_after_load_s: Number((landSeconds - sendSeconds).toFixed(2)),
      batch_latency_ms: { p50: pct(50), p99: pct(99) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await db.close();
    await gw.stop();
    await backend.cleanup();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
