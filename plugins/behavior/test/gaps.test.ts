/**
 * The per-day gaps (src/analytics/gaps.ts) on random events, on SQLite and PostgreSQL: events of
 * random users, names and types over 45 days, written through the EventWriter shuffled (so most
 * batches add days before and between days a user already has: late events) and, on PostgreSQL, by
 * two writers at once; the table must equal each daily row's previous day computed here from the raw
 * events, top events over random whole-day ranges must equal the raw-event answer (counts and
 * distinct users), and so must they after a rebuild and after users are erased. Likewise the
 * per-user months (src/analytics/userMonths.ts): each user's active days equal to the raw events',
 * and retention over random whole-day ranges, intervals, periods and event pairs equal to theirs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSql, num, type PluginContext, type Sql } from '@aihub/core/plugin-api';
import { createDatabase, createMemoryStore, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { Analytics } from '../src/analytics/Analytics';
import { readSql } from '../src/analytics/readSql';
import { addToDaily, rebuildDaily } from '../src/analytics/daily';
import { EventWriter } from '../src/consumer/EventWriter';
import type { StoredEvent } from '../src/ingest/events';
import type { BehaviorConfig } from '../src/config';
import type { BehaviorMetrics } from '../src/metrics';
import { behaviorMigrations } from '../src/migrations';
import { RetentionJob } from '../src/RetentionJob';
import { TenantSettingsCache } from '../src/TenantSettingsCache';

const tables = {
  events: 'behavior_events',
  profiles: 'behavior_profiles',
  deleted: 'behavior_deleted_users',
  tenants: 'behavior_tenants',
  daily: 'behavior_daily_users',
};
const DAY = 86_400_000;
const FIRST = Date.UTC(2025, 4, 1);
const DAYS = 45;
const SEED = Number(process.env.GAPS_SEED ?? 20261207);

/** mulberry32: deterministic, so a failure reproduces (GAPS_SEED picks another data set). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEvents(rand: () => number, n: number): StoredEvent[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const out: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.floor(rand() ** 2 * 70); // a few heavy users, a long tail
    const type = pick(['track', 'track', 'track', 'page', 'identify'] as const);
    const ts = new Date(FIRST + Math.floor(rand() * DAYS * DAY)).toISOString();
    out.push({
      tenantId: pick(['ta', 'ta', 'tb']),
      messageId: `m${i}`,
      type,
      event: type === 'identify' ? null : type === 'page' ? pick(['Home', 'Docs', null]) : pick(['a', 'b', 'c', 'd']),
      userId: u % 9 === 0 ? null : `u${u}`,
      anonymousId: u % 9 === 0 ? `anon${u}` : null,
      groupId: null,
      previousId: null,
      timestamp: ts,
      receivedAt: ts,
      properties: {},
      traits: null,
      context: null,
    });
  }
  return out;
}

type Gap = { tenant_id: string; day: string; event: string; type: string; prev_day: string; users: number };
const key = (r: Gap) => [r.tenant_id, r.day, r.event, r.type, r.prev_day].join('|');
const sorted = (rows: Gap[]) => rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

async function gapRows(sql: Sql): Promise<Gap[]> {
  const rows = await sql.rows(`SELECT tenant_id, day, event, type, prev_day, users FROM behavior_daily_gaps`);
  return sorted(
    rows.map((r) => ({
      tenant_id: String(r.tenant_id),
      day: String(r.day),
      event: String(r.event),
      type: String(r.type),
      prev_day: String(r.prev_day),
      users: num(r.users),
    })),
  );
}

/** From the raw events: each (tenant, day, event, type, user) once, with the user's previous such day. */
async function expectedGaps(sql: Sql): Promise<Gap[]> {
  const day =
    sql.dialect === 'postgres' ? `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr("timestamp", 1, 10)';
  const rows = await sql.rows(
    `SELECT DISTINCT tenant_id, ${day} AS day, COALESCE(event, '') AS event, type, distinct_id FROM ${tables.events}`,
  );
  rows.sort((a, b) => (String(a.day) < String(b.day) ? -1 : String(a.day) > String(b.day) ? 1 : 0));
  const last = new Map<string, string>();
  const out = new Map<string, Gap>();
  for (const r of rows) {
    const chain = [r.tenant_id, r.event, r.type, r.distinct_id].join('|');
    const g: Gap = {
      tenant_id: String(r.tenant_id),
      day: String(r.day),
      event: String(r.event),
      type: String(r.type),
      prev_day: last.get(chain) ?? '',
      users: 0,
    };
    last.set(chain, g.day);
    (out.get(key(g)) ?? out.set(key(g), g).get(key(g))!).users++;
  }
  return sorted([...out.values()]);
}

/** The per-user months table as `tenant kind event month user` → day bits. */
async function monthRows(sql: Sql): Promise<Record<string, number>> {
  const rows = await sql.rows(`SELECT tenant_id, kind, event, month, user_key, days FROM behavior_user_months`);
  return Object.fromEntries(
    rows.map((r) => [[r.tenant_id, r.kind, r.event, r.month, r.user_key].join(' '), num(r.days)] as const).sort(),
  );
}

/** The same from the raw events: a bit per UTC day a user did anything ('any') or that event ('event'). */
async function expectedMonths(sql: Sql): Promise<Record<string, number>> {
  const day =
    sql.dialect === 'postgres' ? `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr("timestamp", 1, 10)';
  const rows = await sql.rows(
    `SELECT DISTINCT tenant_id, ${day} AS day, COALESCE(event, '') AS event, distinct_id FROM ${tables.events}`,
  );
  const out: Record<string, number> = {};
  for (const r of rows) {
    const d = String(r.day);
    const bit = 1 << (Number(d.slice(8, 10)) - 1);
    for (const [kind, event] of [
      ['any', ''],
      ['event', String(r.event)],
    ]) {
      const k = [r.tenant_id, kind, event, d.slice(0, 7), r.distinct_id].join(' ');
      out[k] = (out[k] ?? 0) | bit;
    }
  }
  return Object.fromEntries(Object.entries(out).sort());
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`per-day gaps on random events (${kind}, seed ${SEED})`, () => {
    let tdb: TestDatabase;
    let db: ReturnType<typeof createDatabase>;
    let sql: Sql;
    let fast: Analytics;
    let raw: Analytics;
    const rand = prng(SEED);
    const events = randomEvents(rand, 4000);

    /** Top events (gaps) and trends' users (per-user months) against the raw events over random whole-day ranges (and edge ones). */
    async function assertTopEvents(label: string, ranges = 40): Promise<number> {
      let nonEmpty = 0;
      const list: { from: number; to: number }[] = [
        { from: FIRST, to: FIRST + DAYS * DAY },
        { from: FIRST - 10 * DAY, to: FIRST + DAY },
        { from: FIRST + (DAYS - 1) * DAY, to: FIRST + (DAYS + 5) * DAY },
      ];
      for (let i = 0; i < ranges; i++) {
        const a = Math.floor(rand() * DAYS);
        const b = a + 1 + Math.floor(rand() * (DAYS - a));
        list.push({ from: FIRST + a * DAY, to: FIRST + b * DAY });
      }
      for (const tenant of ['ta', 'tb'])
        for (const range of list)
          for (const type of ['track', 'page']) {
            const order = (x: { event: string | null; count: number }[]) =>
              [...x].sort((p, q) => q.count - p.count || (p.event ?? '').localeCompare(q.event ?? ''));
            const got = await fast.topEvents(tenant, range, type, 100);
            const want = await raw.topEvents(tenant, range, type, 100);
            const r = `${new Date(range.from).toISOString()}..${new Date(range.to).toISOString()}`;
            assert.deepEqual(order(got), order(want), `${label}: top ${type} ${tenant} ${r}`);
            if (got.length) nonEmpty++;
            // Trends' users over the range (from the per-user months), any event or some.
            const f = { properties: {}, ...(type === 'page' ? { events: ['a', 'Home'] } : {}) };
            const c = await fast.counts(tenant, range, 'week', f, false);
            assert.deepEqual(c, await raw.counts(tenant, range, 'week', f, false), `${label}: trends ${tenant} ${r}`);
          }
      return nonEmpty;
    }

    /** Retention from the per-user months and from the raw events over random whole-day ranges, compared. */
    async function assertRetention(label: string, ranges = 12): Promise<number> {
      let cohorts = 0;
      for (let i = 0; i < ranges; i++) {
        const a = Math.floor(rand() * DAYS);
        const b = a + 1 + Math.floor(rand() * (DAYS - a));
        const range = { from: FIRST + a * DAY, to: FIRST + b * DAY };
        for (const interval of ['day', 'week', 'month'] as const)
          for (const [start, ret] of [
            [undefined, undefined],
            ['a', 'a'],
            ['a', 'b'],
            [undefined, 'Home'],
            // (No '' : the API takes event names of 1 to 200 characters.)
            ['c', undefined],
          ] as const) {
            const periods = 1 + Math.floor(rand() * 8);
            const tenant = rand() < 0.7 ? 'ta' : 'tb';
            const got = await fast.retention(tenant, range, interval, periods, start, ret);
            const want = await raw.retention(tenant, range, interval, periods, start, ret);
            const r = `${new Date(range.from).toISOString()}..${new Date(range.to).toISOString()}`;
            assert.deepEqual(got, want, `${label}: retention ${tenant} ${r} ${interval} ${periods} ${start}/${ret}`);
            cohorts += got.length;
          }
      }
      return cohorts;
    }

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = createDatabase({ url: tdb.url });
      await db.migrateUp([{ owner: 'behavior', tablePrefix: 'behavior', migrations: behaviorMigrations }]);
      sql = createSql(db);
      fast = new Analytics(sql, tables, 1_000_000, true, readSql(sql));
      raw = new Analytics(sql, tables, 1_000_000, false);
      const writer = new EventWriter(sql, tables);
      // Random batch sizes; on PostgreSQL two writers (two pool connections) at once.
      const batches: StoredEvent[][] = [];
      for (let i = 0; i < events.length;) {
        const n = 1 + Math.floor(rand() * 300);
        batches.push(events.slice(i, i + n));
        i += n;
      }
      const lanes = kind === 'postgres' ? 2 : 1;
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          const w = lane ? new EventWriter(sql, tables) : writer;
          for (let i = lane; i < batches.length; i += lanes) await w.write(batches[i]);
        }),
      );
    });

    after(async () => {
      await db?.close();
      await tdb?.drop();
    });

    it('keeps the gaps equal to the raw events, whatever order the days arrive in', async () => {
      const rows = await gapRows(sql);
      assert.ok(rows.length > 500, `${rows.length} gap rows`);
      assert.ok(rows.filter((r) => r.prev_day !== '').length > rows.length / 2, 'most rows have a previous day');
      assert.deepEqual(rows, await expectedGaps(sql));
    });

    it('keeps each user’s active days per month equal to the raw events, and answers retention as they do', async () => {
      assert.deepEqual(await monthRows(sql), await expectedMonths(sql));
      const cohorts = await assertRetention('written');
      assert.ok(cohorts > 100, `${cohorts} cohorts compared`);
    });

    it('answers top events over random whole-day ranges as the raw events do', async () => {
      const nonEmpty = await assertTopEvents('written');
      assert.ok(nonEmpty > 100, `${nonEmpty} non-empty answers`);
    });

    // Two transactions adding days of one user and event: the second must read the first's row, so
    // it waits for its commit (PostgreSQL; SQLite runs one write transaction at a time).
    if (kind === 'postgres')
      it('serializes two writers adding days of the same user (the later reads the earlier)', async () => {
        const ev = (day: number): StoredEvent => ({
          ...events[0],
          tenantId: 'race',
          type: 'track',
          event: 'x',
          userId: null,
          anonymousId: 'anon-race',
          timestamp: new Date(FIRST + day * DAY).toISOString(),
        });
        await sql.transaction((tx) => addToDaily(sql, tables.daily, [ev(1)], tx));
        let first!: () => void;
        const firstAdded = new Promise<void>((r) => (first = r));
        const a = sql.transaction(async (tx) => {
          await addToDaily(sql, tables.daily, [ev(5)], tx);
          first();
          // Still uncommitted while the other writer adds its day.
          await new Promise((r) => setTimeout(r, 300));
        });
        await firstAdded;
        const b = sql.transaction((tx) => addToDaily(sql, tables.daily, [ev(6)], tx));
        await Promise.all([a, b]);
        const day = (n: number) => new Date(FIRST + n * DAY).toISOString().slice(0, 10);
        assert.deepEqual(
          (await gapRows(sql)).filter((r) => r.tenant_id === 'race').map((r) => [r.day, r.prev_day, r.users]),
          [
            [day(1), '', 1],
            [day(5), day(1), 1],
            [day(6), day(5), 1],
          ],
        );
        // These rows have no events behind them: gone before the rebuild below.
        for (const t of [tables.daily, 'behavior_daily_totals', 'behavior_daily_gaps', 'behavior_user_months'])
          await sql.rows(`DELETE FROM ${t} WHERE tenant_id = 'race' RETURNING tenant_id`);
      });

    it('reads analytics on connections of their own on SQLite, so a slow one holds no other query', async () => {
      const read = readSql(sql);
      if (kind === 'postgres') {
        const q = 'SELECT pg_backend_pid() AS pid';
        assert.ok((await read.rows(q)).length === 1, 'PostgreSQL reads through its pool');
        return;
      }
      const done: string[] = [];
      // ~1 s of SQLite work on an analytics connection…
      const slow = read
        .rows(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) SELECT COUNT(*) AS n FROM c',
          [3_000_000],
        )
        .then((r) => {
          done.push('slow');
          return r;
        });
      await new Promise((r) => setTimeout(r, 30));
      // …while the gateway's plain statements (the outbox INSERT of ingestion, profile reads) go on.
      await sql.rows('SELECT COUNT(*) AS n FROM behavior_daily_totals').then(() => done.push('main'));
      // …and so do the other analytics reads (another connection of the analytics').
      await read.rows('SELECT COUNT(*) AS n FROM behavior_daily_gaps').then(() => done.push('read'));
      assert.equal(num((await slow)[0].n), 3_000_000);
      assert.deepEqual(done, ['main', 'read', 'slow']);
      // Bound parameters and results as through sql.rows; errors as the plugin's (readErrors.ts), the
      // database's as the cause.
      const q =
        'SELECT tenant_id, COUNT(*) AS n FROM behavior_daily_users WHERE tenant_id = $1 AND day >= $2 GROUP BY tenant_id';
      assert.deepEqual(await read.rows(q, ['ta', '2025-05-10']), await sql.rows(q, ['ta', '2025-05-10']));
      await assert.rejects(read.rows('SELECT * FROM no_such_table'), (err: Error) => {
        assert.equal((err as Error & { code: string }).code, 'analytics_read_failed');
        assert.match(String((err.cause as Error).message), /no such table/);
        return true;
      });
    });

    it('rebuilds to the same rows, and stays exact after users are erased', async () => {
      const written = await gapRows(sql);
      const months = await monthRows(sql);
      await rebuildDaily(sql, tables);
      assert.deepEqual(await gapRows(sql), written);
      assert.deepEqual(await monthRows(sql), months);
      for (const u of ['u1', 'u4', 'anon9', 'u40']) await fast.deleteUser('ta', [u], 50);
      const rows = await gapRows(sql);
      assert.notDeepEqual(rows, written);
      assert.deepEqual(rows, await expectedGaps(sql));
      await assertTopEvents('after erasure', 15);
      assert.deepEqual(await monthRows(sql), await expectedMonths(sql));
      await assertRetention('after erasure', 4);
    });

    it('stays exact after the retention job purges a tenant past a cutoff inside a day', async () => {
      // A cutoff at 13:00 on day 20 for tenant ta (tb keeps everything): users whose events that day
      // were all before 13:00 lose the day, and their next day's previous day becomes none.
      const cutoff = FIRST + 20 * DAY + 13 * 3_600_000;
      const days = (Date.now() - cutoff) / DAY;
      const ctx = {
        config: { retention: { intervalMs: 60_000, batchSize: 50, defaultDays: undefined } },
        store: createMemoryStore(),
        clock: { now: () => Date.now() },
        logger: { info() {}, warn() {} },
        tryGet: () => undefined,
      } as unknown as PluginContext<BehaviorConfig>;
      const settings = new TenantSettingsCache(ctx);
      settings.remember('ta', { retentionDays: days });
      const metrics = { retentionDeleted: { inc() {} } } as unknown as BehaviorMetrics;
      assert.ok((await new RetentionJob(ctx, sql, tables, settings, metrics).run()) > 0);
      const cutDay = new Date(cutoff).toISOString().slice(0, 10);
      const rows = await gapRows(sql);
      assert.ok(!rows.some((r) => r.tenant_id === 'ta' && r.day < cutDay));
      assert.ok(rows.some((r) => r.tenant_id === 'tb' && r.day < cutDay));
      assert.deepEqual(rows, await expectedGaps(sql));
      assert.deepEqual(await monthRows(sql), await expectedMonths(sql));
      await assertTopEvents('after retention', 15);
      await assertRetention('after retention', 4);
    });

    it('leaves no zero-user gap row when a writer lands between the purge’s unlocked deletes and its lock', async () => {
      const ev = (day: number): StoredEvent => ({
        ...events[0],
        messageId: `zero-${day}`,
        tenantId: 'zero',
        type: 'track',
        event: 'x',
        userId: 'z',
        anonymousId: null,
        timestamp: new Date(FIRST + day * DAY + 12 * 3_600_000).toISOString(),
      });
      const writer = new EventWriter(sql, tables);
      await writer.write([ev(5), ev(30)]);
      const cutoff = FIRST + 20 * DAY + 13 * 3_600_000;
      const cutDay = new Date(cutoff).toISOString().slice(0, 10);
      // The retention job's first steps, outside the tenant's lock: the events before the cutoff,
      // then (purgeDaily's batches) the daily rows of the days before the cutoff's…
      await sql.rows(`DELETE FROM ${tables.events} WHERE tenant_id = 'zero' AND "timestamp" < $1 RETURNING id`, [
        new Date(cutoff).toISOString(),
      ]);
      await sql.rows(`DELETE FROM ${tables.daily} WHERE tenant_id = 'zero' AND day < $1 RETURNING day`, [cutDay]);
      // …a batch lands: day 25 finds no earlier row (day 5's is gone) and moves day 30's entry from ''
      // (while the table holds it under day 5)…
      await writer.write([ev(25)]);
      // …and the job goes on to its locked part.
      const ctx = {
        config: { retention: { intervalMs: 60_000, batchSize: 50, defaultDays: undefined } },
        store: createMemoryStore(),
        clock: { now: () => Date.now() },
        logger: { info() {}, warn() {} },
        tryGet: () => undefined,
      } as unknown as PluginContext<BehaviorConfig>;
      const settings = new TenantSettingsCache(ctx);
      settings.remember('zero', { retentionDays: (Date.now() - cutoff) / DAY });
      const metrics = { retentionDeleted: { inc() {} } } as unknown as BehaviorMetrics;
      await new RetentionJob(ctx, sql, tables, settings, metrics).run();
      const day = (n: number) => new Date(FIRST + n * DAY).toISOString().slice(0, 10);
      assert.deepEqual(
        (await gapRows(sql)).filter((r) => r.tenant_id === 'zero').map((r) => [r.day, r.prev_day, r.users]),
        [
          [day(25), '', 1],
          [day(30), day(25), 1],
        ],
      );
      assert.deepEqual(await gapRows(sql), await expectedGaps(sql));
    });
  });
}
