/**
 * The usage writer alone (issue 20): rows/s and this process's CPU and allocation per row for
 * UsageWriter.write() on a fresh PostgreSQL and SQLite database, batches of realistic rows (several
 * tenants, keys and models, so the rollups get several rows per batch; attempts JSON, trace ids,
 * fractional overheads). With BENCH_WRITER_B=<module path exporting UsageWriter> it A/Bs that
 * writer against this one, interleaved round by round, each on its own database, so drift on a
 * shared machine falls on both alike. Bounded by --rounds × --batches.
 *
 * Run with --expose-gc and a large young generation, so the heap growth per batch approximates
 * what it allocates (no scavenge inside a batch):
 *
 *   node --expose-gc --max-semi-space-size=128 --conditions=aihub-source --import tsx \
 *     plugins/usage/bench/writer.ts [--db postgres,sqlite]
 *     [--rounds 5] [--batches 20] [--rows 400]
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSql, type Sql } from '@aihub/core/plugin-api';
import { createDatabase, createTestDatabase } from '@aihub/core/testing';
import { usageMigrations } from '../src/migrations/index';
import type { UsageRow } from '../src/records';
import { UsageWriter } from '../src/writer/UsageWriter';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres,sqlite' },
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '20' },
    rows: { type: 'string', default: '400' },
  },
});
const ROUNDS = Number(values.rounds);
const BATCHES = Number(values.batches);
const ROWS = Number(values.rows);

type Writer = Pick<UsageWriter, 'write'>;
type WriterClass = new (sql: Sql, tables: ConstructorParameters<typeof UsageWriter>[1]) => Writer;

const TABLES = {
  records: 'usage_records',
  daily: 'usage_daily',
  pending: 'usage_pending',
  latency: 'usage_latency',
  answered: 'usage_answered',
};
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet', 'assistant'];

let seq = 0;
function row(i: number): UsageRow {
  const createdMs = Date.UTC(2026, 11, 7, 12, 0, 0) + seq;
  const id = `req-${(seq++).toString(36).padStart(10, '0')}`;
  const prompt = 100 + ((i * 37) % 900);
  const completion = (i * 13) % 400;
  return {
    requestId: id,
    createdAt: new Date(createdMs).toISOString(),
    createdMs,
    tenantId: `tenant-${i % 3}`,
    keyId: `key-${i % 7}`,
    userId: i % 2 ? `user-${i % 11}` : null,
    teamId: i % 5 ? null : 'team-a',
    apiVersion: '2025-06-01',
    endpoint: 'chat',
    model: MODELS[i % MODELS.length],
    resolvedModel: MODELS[i % MODELS.length],
    provider: i % 3 ? 'openai' : 'anthropic',
    deployment: 'primary',
    experiment: null,
    variant: null,
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: i % 4 ? 0 : 32,
    totalTokens: prompt + completion,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    estimated: false,
    costMicros: prompt * 3 + completion * 12,
    inputCostMicros: prompt * 3,
    cachedCostMicros: 0,
    outputCostMicros: completion * 12,
    priced: true,
    latencyMs: 200 + (i % 900),
    ttftMs: i % 2 ? 80 + (i % 50) : null,
    status: i % 17 ? 'success' : 'error',
    httpStatus: i % 17 ? 200 : 502,
    errorCode: i % 17 ? null : 'upstream_error',
    cacheHit: i % 9 === 0,
    stream: i % 2 === 0,
    overheadMs: 0.4 + (i % 100) / 37,
    traceId: i % 10 ? null : `${id.padEnd(32, '0').slice(0, 32)}`,
    attempts: [{ provider: 'openai', model: 'gpt-4o-mini', status: 200, latencyMs: 190 } as never],
    attemptCount: 1,
  };
}

async function database(kind: 'postgres' | 'sqlite') {
  const tdb = await createTestDatabase(kind);
  const db = createDatabase({ url: tdb.url });
  await db.migrateUp([{ owner: 'usage', tablePrefix: 'usage', migrations: usageMigrations }]);
  return { tdb, db, sql: createSql(db) };
}

/** One round: BATCHES batches of ROWS rows; wall ms, CPU µs and allocated bytes of this process. */
async function round(writer: Writer): Promise<{ ms: number; cpuUs: number; bytes: number }> {
  const batches = Array.from({ length: BATCHES }, () => Array.from({ length: ROWS }, (_, i) => row(i)));
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (const batch of batches) {
    const before = process.memoryUsage().heapUsed;
    const result = await writer.write(batch, []);
    // Heap growth per batch approximates allocation while no GC runs in it; a GC makes it negative.
    bytes += Math.max(0, process.memoryUsage().heapUsed - before);
    if (result.inserted.length !== batch.length)
      throw new Error(`inserted ${result.inserted.length} of ${batch.length}`);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuUs: cpu.user + cpu.system, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const variants: { name: string; Writer: WriterClass }[] = [{ name: 'this', Writer: UsageWriter }];
  if (process.env.BENCH_WRITER_B) {
    const mod = (await import(path.resolve(process.env.BENCH_WRITER_B))) as { UsageWriter: WriterClass };
    variants.unshift({ name: 'B', Writer: mod.UsageWriter });
  }
  for (const kind of values.db.split(',') as ('postgres' | 'sqlite')[]) {
    const dbs = await Promise.all(variants.map(() => database(kind)));
    const writers = variants.map((v, j) => new v.Writer(dbs[j].sql, TABLES));
    for (const w of writers) await round(w); // warm-up
    const results = variants.map(() => [] as { ms: number; cpuUs: number; bytes: number }[]);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so neither always follows the other's GC debt.
      const order = r % 2 ? [...writers.keys()].reverse() : [...writers.keys()];
      for (const j of order) results[j].push(await round(writers[j]));
    }
    const n = BATCHES * ROWS;
    for (const [j, v] of variants.entries()) {
      const rs = results[j];
      console.log(
        `${kind} ${v.name}: ${Math.round(median(rs.map((x) => n / (x.ms / 1000))))} rows/s (rounds ${rs.map((x) => Math.round(n / (x.ms / 1000))).join(' ')}), ` +
          `CPU ${median(rs.map((x) => x.cpuUs / n)).toFixed(1)} µs/row in this process, heap growth ${(median(rs.map((x) => x.bytes / n)) / 1024).toFixed(2)} KB/row`,
      );
    }
    for (const d of dbs) {
      await d.db.close();
      await d.tdb.drop();
    }
  }
  console.log(
    `rows per batch ${ROWS}, batches per round ${BATCHES}, rounds ${ROUNDS}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
