/**
 * Does a slow analytics read on SQLite delay the gateway's other threadpool work? node-sqlite3 runs
 * every statement on libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE), as do dns.lookup (an
 * upstream's new connection), zlib, crypto.scrypt (console sign-in) and fs, and the main SQLite
 * connection's own statements (ingestion's outbox INSERT). While `k` ~1 s analytics reads run
 * through readSql, this times each of those alone (issued one after the other) and a burst of all
 * of them at once; k = 0 is the baseline, and `cpu<n>` spins n worker threads (CPU only, no
 * threadpool) for as long as the reads take, to tell waiting for a pool thread from waiting for a
 * core; `old<k>` runs k reads through the readSql module given as --old. It also reports the event
 * loop's longest pause meanwhile. Scenarios are interleaved round by round. The README's figures:
 *
 *   git show <rev>:plugins/behavior/src/analytics/readSql.ts > plugins/behavior/bench/readSql.old.tmp.ts
 *   node --conditions=aihub-source --import tsx plugins/behavior/bench/threadpool.ts --rounds 5 \
 *     --count 6000000 --reads 0,2,4,old4,cpu2 --old plugins/behavior/bench/readSql.old.tmp.ts
 */
import { lookup } from 'node:dns/promises';
import { scrypt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzip } from 'node:zlib';
import { createSql } from '@aihub/core/plugin-api';
import { createDatabase, createTestDatabase } from '@aihub/core/testing';
import { readSql } from '../src/analytics/readSql';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    reads: { type: 'string', default: '0,1,2,4,cpu2' },
    // Rows the slow read counts through (~1 s of SQLite work at 3,000,000 on this machine).
    count: { type: 'string', default: '3000000' },
    // Another readSql module (e.g. the previous commit's, `git show <rev>:plugins/behavior/src/analytics/readSql.ts`
    // saved beside this file) for scenarios `old<k>`, interleaved with the current one's.
    old: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const scenarios = values.reads.split(',');
const count = Number(values.count);

const gz = promisify(gzip);
const scryptAsync = promisify(scrypt) as (p: string, s: string, n: number, o: object) => Promise<Buffer>;
const body = Buffer.from(JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ i, text: `message ${i}` }))));

/** A worker thread that keeps one core busy for `ms` (no libuv threadpool work). */
function spin(ms: number): Promise<void> {
  const w = new Worker(`const end = Date.now() + ${Math.round(ms)}; while (Date.now() < end);`, { eval: true });
  return new Promise((resolve, reject) => w.once('exit', () => resolve()).once('error', reject));
}

async function main() {
  const test = await createTestDatabase('sqlite');
  const database = createDatabase({ url: test.url });
  const sql = createSql(database);
  const read = readSql(sql);
  const old = values.old
    ? ((await import(path.resolve(values.old))) as { readSql: (s: typeof sql) => typeof sql }).readSql(sql)
    : undefined;
  const file = path.join(path.dirname(test.url.slice('sqlite:'.length)), 'probe.txt');
  await writeFile(file, 'x'.repeat(4096));
  await sql.rows('CREATE TABLE outbox (id INTEGER PRIMARY KEY, body TEXT)');
  const slowRead = (via = read) =>
    via.rows(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) SELECT COUNT(*) AS n FROM c',
      [count],
    );
  const ops: Record<string, () => Promise<unknown>> = {
    dns: () => lookup('localhost'),
    gzip: () => gz(body),
    scrypt: () => scryptAsync('password', 'salt', 32, { N: 32768, r: 8, p: 1, maxmem: 256 * 32768 * 8 + 1024 * 1024 }),
    fs: () => readFile(file),
    sqlite_main: () => sql.rows('INSERT INTO outbox (body) VALUES ($1) RETURNING id', ['{}']),
  };
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  // Warm every path (the readers' connections, the DNS resolver, scrypt's memory); the spinners
  // spin as long as one read takes.
  const t0 = performance.now();
  await Promise.all([slowRead(), slowRead()]);
  if (old) await Promise.all([slowRead(old), slowRead(old)]);
  const spinMs = performance.now() - t0;
  for (const fn of Object.values(ops)) await fn();

  const results = new Map<string, number[]>();
  const add = (key: string, ms: number) => results.set(key, [...(results.get(key) ?? []), ms]);
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const k of scenarios) {
      loads.push(loadavg()[0]);
      // The event loop's longest pause meanwhile (a 5 ms ticker): node-sqlite3 finalizes statements on
      // the loop's thread under the connection's mutex, so a statement finalized while another held it waits.
      let last = performance.now();
      let gap = 0;
      const ticker = setInterval(() => {
        const t = performance.now();
        gap = Math.max(gap, t - last);
        last = t;
      }, 5);
      const reads = k.startsWith('cpu')
        ? Array.from({ length: Number(k.slice(3)) }, () => spin(spinMs))
        : k.startsWith('old')
          ? Array.from({ length: Number(k.slice(3)) }, () => slowRead(old))
          : Array.from({ length: Number(k) }, () => slowRead());
      const readsDone = Promise.all(reads).then(() => performance.now());
      await new Promise((res) => setTimeout(res, 150));
      const start = performance.now();
      for (const [name, fn] of Object.entries(ops)) add(`${k}|${name}`, await time(fn));
      add(`${k}|burst (all 5 at once)`, await time(() => Promise.all(Object.values(ops).map((fn) => fn()))));
      const end = performance.now();
      const doneAt = await readsDone;
      // Only what ran while the reads were still running counts as "during".
      if (k !== '0' && doneAt < end)
        console.error(`round ${r} k=${k}: the reads ended before the probe (${Math.round(doneAt - start)} ms)`);
      add(`${k}|reads wall`, doneAt - start + 150);
      clearInterval(ticker);
      add(`${k}|event loop longest pause`, gap);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `rounds ${rounds}, load average during: ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}`,
  );
  const names = [...Object.keys(ops), 'burst (all 5 at once)', 'reads wall', 'event loop longest pause'];
  console.log(['op \\ slow reads', ...scenarios.map((k) => `k=${k} median (min-max) ms`)].join(' | '));
  for (const name of names) {
    const cells = scenarios.map((k) => {
      const xs = results.get(`${k}|${name}`) ?? [];
      return `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
    });
    console.log([name, ...cells].join(' | '));
  }
  await database.close();
  await test.drop();
}

void main();
