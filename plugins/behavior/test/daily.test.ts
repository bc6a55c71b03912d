/**
 * The daily user sets (src/analytics/daily.ts) on SQLite and PostgreSQL: trends, top events and
 * retention answered from them equal the raw-event computation (the answer before the sets existed),
 * item by item, over events with several per user and day, several tenants, event names and types,
 * unnamed events, anonymous users and instants on UTC day, week and month edges, for whole-day
 * ranges and date-time ranges that cut days; a redelivered batch changes nothing; the rows the writer
 * keeps are row for row the ones migrations 0005/0006 backfill from existing events (a tenant's day
 * per statement, equal to one statement over all); and a user erased, or events past a tenant's
 * retention, leave the sets (which stay equal to the events left). The per-day gaps (0008) are
 * checked the same way against each row's previous day computed here from the raw events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bulkColumns,
  bulkSource,
  createSql,
  num,
  type BulkColumn,
  type PluginContext,
  type Sql,
} from '@aihub/core/plugin-api';
import { createDatabase, createMemoryStore, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { Analytics } from '../src/analytics/Analytics';
import { readSql } from '../src/analytics/readSql';
import type { Interval } from '../src/analytics/dialect';
import type { BehaviorConfig } from '../src/config';
import { EventWriter } from '../src/consumer/EventWriter';
import type { StoredEvent } from '../src/ingest/events';
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
const set = (migrations = behaviorMigrations) => [{ owner: 'behavior', tablePrefix: 'behavior', migrations }];

/** 2025-02-24 .. 2025-03-12: a month edge (Feb 28 → Mar 1), week edges (Sundays Mar 2 and 9 → Mondays). */
const FIRST_DAY = Date.UTC(2025, 1, 24);
const DAYS = 17;
/** Per day: the first and last millisecond, and a few hours between. */
const OFFSETS = [0, 1, 3_600_000 * 9, 3_600_000 * 13 + 17, 3_600_000 * 21, DAY - 1];
const NAMES = ['signup', 'view', 'buy', 'login'];

/** Deterministic events: users with several events a day, unnamed events, anonymous users, two tenants. */
function dataset(): StoredEvent[] {
  const out: StoredEvent[] = [];
  let seq = 0;
  for (const tenantId of ['ta', 'tb']) {
    for (let d = 0; d < DAYS; d++) {
      for (let u = 0; u < 12; u++) {
        // Not every user every day: cohorts differ in size and return.
        if ((u * 7 + d * 3) % 5 === 0 || (u > 8 && d < 5)) continue;
        const n = 1 + ((u + d) % 4);
        for (let k = 0; k < n; k++) {
          const i = seq++;
          const anon = u >= 10;
          const kind = i % 11 === 0 ? 'identify' : i % 7 === 0 ? 'page' : 'track';
          const ts = FIRST_DAY + d * DAY + OFFSETS[(u + k * 5 + d) % OFFSETS.length];
          out.push({
            tenantId,
            messageId: `m-${tenantId}-${i}`,
            type: kind,
            event: kind === 'identify' ? null : kind === 'page' ? (i % 2 ? 'Home' : null) : NAMES[(u + k + d) % 4],
            userId: anon ? null : `u${u}`,
            // Identified users carry an anonymous id on some events (linked in their profile).
            anonymousId: anon ? `a${u}` : u === 3 && k === 0 ? 'a-of-u3' : null,
            groupId: null,
            previousId: null,
            timestamp: new Date(ts).toISOString(),
            receivedAt: new Date(ts).toISOString(),
            properties: { plan: u % 2 ? 'pro' : 'free' },
            traits: null,
            context: null,
          });
        }
      }
    }
  }
  // Anonymous events of u3's linked anonymous id before they signed in.
  for (let k = 0; k < 3; k++)
    out.push({
      ...out[0],
      tenantId: 'ta',
      messageId: `pre-u3-${k}`,
      type: 'track',
      event: 'view',
      userId: null,
      anonymousId: 'a-of-u3',
      timestamp: new Date(FIRST_DAY + 2 * DAY + k).toISOString(),
      receivedAt: new Date(FIRST_DAY + 2 * DAY + k).toISOString(),
    });
  return out;
}

const KEY = 'tenant_id, day, event, type, user_key';
const row = (r: Record<string, unknown>) => ({
  tenant_id: String(r.tenant_id),
  day: String(r.day),
  event: String(r.event),
  type: String(r.type),
  user_key: String(r.user_key),
  events: num(r.events),
});
async function dailyRows(sql: Sql) {
  const rows = await sql.rows(`SELECT ${KEY}, events FROM ${tables.daily} ORDER BY ${KEY}`);
  return rows.map(row);
}
/** The daily rows grouped straight from the raw events: what the sets must always equal. */
async function expectedRows(sql: Sql) {
  const day =
    sql.dialect === 'postgres' ? `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr("timestamp", 1, 10)';
  const rows = await sql.rows(
    `SELECT tenant_id, ${day} AS day, COALESCE(event, '') AS event, type, distinct_id AS user_key, COUNT(*) AS events
     FROM ${tables.events} GROUP BY tenant_id, ${day}, COALESCE(event, ''), type, distinct_id ORDER BY 1, 2, 3, 4, 5`,
  );
  return rows.map(row);
}

const TOTALS = 'behavior_daily_totals';
const TOTAL_KEY = 'tenant_id, day, event, type';
const totalRow = (r: Record<string, unknown>) => ({
  tenant_id: String(r.tenant_id),
  day: String(r.day),
  event: String(r.event),
  type: String(r.type),
  events: num(r.events),
  users: num(r.users),
});
async function totalRows(sql: Sql) {
  const rows = await sql.rows(`SELECT ${TOTAL_KEY}, events, users FROM ${TOTALS} ORDER BY ${TOTAL_KEY}`);
  return rows.map(totalRow);
}
/** The per-day totals counted straight from the raw events: events and distinct users per tenant, day, event and type. */
async function expectedTotals(sql: Sql) {
  const day =
    sql.dialect === 'postgres' ? `to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : 'substr("timestamp", 1, 10)';
  const rows = await sql.rows(
    `SELECT tenant_id, ${day} AS day, COALESCE(event, '') AS event, type, COUNT(*) AS events, COUNT(DISTINCT distinct_id) AS users
     FROM ${tables.events} GROUP BY tenant_id, ${day}, COALESCE(event, ''), type ORDER BY 1, 2, 3, 4`,
  );
  return rows.map(totalRow);
}
/** The totals equal the raw events' item by item (and are not trivially empty). */
async function assertTotals(sql: Sql, label: string) {
  const rows = await totalRows(sql);
  assert.ok(rows.length > 50, `${label}: ${rows.length} totals rows`);
  assert.ok(
    rows.some((r) => r.users > 1),
    `${label}: some totals count several users`,
  );
  assert.deepEqual(rows, await expectedTotals(sql), `${label}: totals`);
}

const GAPS = 'behavior_daily_gaps';
const gapKey = (r: { tenant_id: string; day: string; event: string; type: string; prev_day: string }) =>
  [r.tenant_id, r.day, r.event, r.type, r.prev_day].join('|');
const byGapKey = <T extends Parameters<typeof gapKey>[0]>(rows: T[]) =>
  rows.sort((a, b) => (gapKey(a) < gapKey(b) ? -1 : gapKey(a) > gapKey(b) ? 1 : 0));
/** The per-day gaps table, in key order (sorted here: the database's ORDER BY follows its collation). */
async function gapRows(sql: Sql) {
  const rows = await sql.rows(`SELECT tenant_id, day, event, type, prev_day, users FROM ${GAPS}`);
  return byGapKey(
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
/**
 * The gaps computed here from the raw events' daily rows: per row, the user's previous day with a
 * row of the same event and type ('' when none), counted per tenant, day, event, type and that day.
 */
async function expectedGaps(sql: Sql) {
  const rows = [...(await expectedRows(sql))].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const last = new Map<string, string>();
  const out = new Map<
    string,
    { tenant_id: string; day: string; event: string; type: string; prev_day: string; users: number }
  >();
  for (const r of rows) {
    const chain = [r.tenant_id, r.event, r.type, r.user_key].join('|');
    const g = {
      tenant_id: r.tenant_id,
      day: r.day,
      event: r.event,
      type: r.type,
      prev_day: last.get(chain) ?? '',
      users: 0,
    };
    last.set(chain, r.day);
    const k = gapKey(g);
    (out.get(k) ?? out.set(k, g).get(k)!).users++;
  }
  return byGapKey([...out.values()]);
}
/** The gaps equal the raw events' item by item (and are not trivially empty). */
async function assertGaps(sql: Sql, label: string) {
  const rows = await gapRows(sql);
  assert.ok(rows.length > 50 && rows.some((r) => r.prev_day !== ''), `${label}: ${rows.length} gap rows`);
  assert.deepEqual(rows, await expectedGaps(sql), `${label}: gaps`);
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Whole UTC days, date-times cutting days at both ends, a range inside one day, one from the middle of a day to a midnight. */
const RANGES = [
  { from: FIRST_DAY, to: FIRST_DAY + DAYS * DAY },
  { from: FIRST_DAY + 4 * DAY, to: FIRST_DAY + 9 * DAY },
  { from: FIRST_DAY + 2 * DAY + 3_600_000 * 10, to: FIRST_DAY + 11 * DAY + 3_600_000 * 13 + 17 },
  { from: FIRST_DAY + 5 * DAY + 3_600_000 * 8, to: FIRST_DAY + 5 * DAY + 3_600_000 * 22 },
  { from: FIRST_DAY + 3 * DAY + 1, to: FIRST_DAY + 10 * DAY },
];
const FILTERS: { events?: string[]; type?: string }[] = [
  {},
  { events: ['signup'] },
  { events: ['buy', 'view'] },
  { type: 'track' },
  { type: 'page' },
  { type: 'identify' },
  { events: ['Home'], type: 'page' },
];

/** Series in name order (the API lists them in the order rows arrive, which is the database's choice within a bucket). */
const bySeries = <T extends object>(x: T): T => {
  const events = (x as { events?: { event: string | null }[] }).events;
  return events ? { ...x, events: [...events].sort((p, q) => (p.event ?? '').localeCompare(q.event ?? '')) } : x;
};

/** A counts answer with every `users` field left out (what counts(…, withUsers false) answers). */
function withoutUsers(x: object): object {
  if (Array.isArray(x)) return x.map((v: unknown) => (v && typeof v === 'object' ? withoutUsers(v) : v));
  return Object.fromEntries(
    Object.entries(x)
      .filter(([k]) => k !== 'users')
      .map(([k, v]) => [k, v && typeof v === 'object' ? withoutUsers(v as object) : v]),
  );
}

/** Every answer of the fast and the raw analytics on the current data, compared item by item. */
async function assertSameAnswers(fast: Analytics, raw: Analytics, label: string, filters = FILTERS) {
  let compared = 0;
  for (const tenantId of ['ta', 'tb', 'nobody']) {
    for (const range of RANGES) {
      const r = `${tenantId} ${iso(range.from)}..${iso(range.to)}`;
      for (const interval of ['day', 'week', 'month'] as Interval[])
        for (const f of filters)
          for (const byEvent of [false, true]) {
            const filter = { ...f, properties: {} };
            const a = bySeries(await fast.counts(tenantId, range, interval, filter, byEvent));
            const b = bySeries(await raw.counts(tenantId, range, interval, filter, byEvent));
            assert.deepEqual(a, b, `${label}: counts ${r} ${interval} ${JSON.stringify(f)} byEvent=${byEvent}`);
            // Without users: the counts from the per-day totals alone, equal to the raw events' counts.
            const c = bySeries(await fast.counts(tenantId, range, interval, filter, byEvent, false));
            assert.deepEqual(
              c,
              withoutUsers(b),
              `${label}: counts without users ${r} ${interval} ${JSON.stringify(f)}`,
            );
            compared++;
          }
      for (const type of ['track', 'page']) {
        // Ties in count are ordered by name, where the raw events sort an unnamed page (NULL) per database.
        const order = (x: { event: string | null; count: number }[]) =>
          [...x].sort((p, q) => q.count - p.count || (p.event ?? '').localeCompare(q.event ?? ''));
        const a = await fast.topEvents(tenantId, range, type, 100);
        assert.deepEqual(a, order(a), `${label}: top events sorted by count`);
        assert.deepEqual(a, order(await raw.topEvents(tenantId, range, type, 100)), `${label}: top ${type} ${r}`);
        compared++;
      }
      for (const interval of ['day', 'week', 'month'] as const)
        for (const [start, ret] of [
          [undefined, undefined],
          ['signup', 'signup'],
          ['signup', 'buy'],
          [undefined, 'view'],
          ['login', undefined],
        ] as const) {
          const a = await fast.retention(tenantId, range, interval, 4, start, ret);
          const b = await raw.retention(tenantId, range, interval, 4, start, ret);
          assert.deepEqual(a, b, `${label}: retention ${r} ${interval} ${start}/${ret}`);
          compared++;
        }
    }
  }
  return compared;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`daily user sets (${kind})`, () => {
    let tdb: TestDatabase;
    let old: TestDatabase;
    let db: ReturnType<typeof createDatabase>;
    let sql: Sql;
    let fast: Analytics;
    let raw: Analytics;
    const events = dataset();

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = createDatabase({ url: tdb.url });
      await db.migrateUp(set());
      sql = createSql(db);
      // The gateway's reads: on SQLite through their own connection (readSql), compared with the main one's.
      fast = new Analytics(sql, tables, 1_000_000, true, readSql(sql));
      raw = new Analytics(sql, tables, 1_000_000, false);
      const writer = new EventWriter(sql, tables);
      // In batches, one of them delivered twice (a queue redelivery): it must change nothing.
      for (let i = 0; i < events.length; i += 150) await writer.write(events.slice(i, i + 150));
      const again = await writer.write(events.slice(150, 300));
      assert.equal(again.inserted, 0);
    });

    after(async () => {
      await db?.close();
      await tdb?.drop();
      await old?.drop();
    });

    it('keeps one row per tenant, day, event, type and user with its event count', async () => {
      const rows = await dailyRows(sql);
      assert.ok(rows.length > 300 && rows.length < events.length, `${rows.length} rows for ${events.length} events`);
      assert.deepEqual(rows, await expectedRows(sql));
      await assertTotals(sql, 'written');
      await assertGaps(sql, 'written');
      // An event at 23:59:59.999 and one at 00:00:00.000 fall on their own UTC days.
      const u = await sql.rows(
        `SELECT day FROM ${tables.daily} WHERE tenant_id = 'ta' AND day IN ('2025-02-28', '2025-03-01') GROUP BY day`,
      );
      assert.equal(u.length, 2);
    });

    it('answers trends, top events and retention exactly as the raw events do', async () => {
      const compared = await assertSameAnswers(fast, raw, 'written');
      // 3 tenants × 5 ranges × (3 intervals × 7 filters × 2 shapes + 2 top lists + 3 intervals × 5 cohort pairs).
      assert.equal(compared, 3 * 5 * (42 + 2 + 15));
      // A spot check that the answers are not trivially empty.
      const c = await fast.counts('ta', RANGES[0], 'day', { properties: {} }, false);
      assert.equal(c.users, 13);
      assert.equal(c.total, events.filter((e) => e.tenantId === 'ta').length);
    });

    // PostgreSQL only (SQLite compares bytes already): registered there, not skipped here.
    if (kind === 'postgres')
      it('sorts users bytewise on PostgreSQL for top events and retention (no strcoll per comparison)', async () => {
        // The statements the analytics issue, run through the real database and recorded.
        const seen: { text: string; bind: unknown[] }[] = [];
        const recording: Sql = new Proxy(sql, {
          get: (target, prop, receiver) =>
            prop === 'rows'
              ? (text: string, bind: unknown[] = [], tx?: Parameters<Sql['rows']>[2]) => {
                  seen.push({ text, bind });
                  return target.rows(text, bind, tx);
                }
              : Reflect.get(target, prop, receiver),
        });
        const a = new Analytics(recording, tables, 1_000_000, true);
        // Ranges that cut days: whole days read the per-day gaps and per-user months, which sort no users.
        await a.topEvents('ta', RANGES[2], 'track', 10);
        await a.retention('ta', RANGES[4], 'day', 4, undefined, undefined);
        await a.retention('ta', RANGES[2], 'day', 4, 'signup', 'buy');
        const keys: string[] = [];
        const walk = (node: Record<string, unknown>) => {
          for (const k of ['Sort Key', 'Group Key', 'Output'])
            for (const v of (node[k] as string[] | undefined) ?? [])
              // Sorted keys, and the values a DISTINCT aggregate sorts; the user columns among them.
              if ((k !== 'Output' || v.includes('DISTINCT')) && v.includes('user_key')) keys.push(v);
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        for (const { text, bind } of seen)
          await sql.transaction(async (tx) => {
            // As at 1M events, where the planner sorts rather than hashes (the table here is tiny).
            await sql.rows('SELECT set_config($1, $2, true) AS v', ['enable_hashagg', 'off'], tx);
            const [plan] = await sql.rows<Record<string, unknown>>(`EXPLAIN (VERBOSE, FORMAT JSON) ${text}`, bind, tx);
            walk((plan['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0].Plan);
          });
        assert.ok(keys.length >= 3, `user keys sorted in the plans: ${keys.join(' | ')}`);
        // A user column sorted in another collation than its own is printed as a relabelling cast,
        // `(behavior_daily_users.user_key)::character varying(200)` (with COLLATE "C" where a sort's
        // collation differs); taken in the database's collation, as before, it is the bare column.
        assert.ok(keys.length >= 3, `user keys sorted in the plans: ${keys.join(' | ')}`);
        for (const k of keys) assert.doesNotMatch(k, /behavior_daily_users\.user_key(?!\)::)/, k);
      });

    it('is what migration 0005 backfills from the events of an older install', async () => {
      old = await createTestDatabase(kind);
      const odb = createDatabase({ url: old.url });
      try {
        await odb.migrateUp(set(behaviorMigrations.slice(0, 4)));
        const osql = createSql(odb);
        const cols: readonly BulkColumn[] = [
          ['tenant_id', 'text'],
          ['message_id', 'text'],
          ['type', 'text'],
          ['event', 'text'],
          ['user_id', 'text'],
          ['anonymous_id', 'text'],
          ['distinct_id', 'text'],
          ['timestamp', 'timestamptz'],
          ['received_at', 'timestamptz'],
        ];
        const rows = events.map((e) => ({
          tenant_id: e.tenantId,
          message_id: e.messageId,
          type: e.type,
          event: e.event,
          user_id: e.userId,
          anonymous_id: e.anonymousId,
          distinct_id: e.userId ?? e.anonymousId,
          timestamp: e.timestamp,
          received_at: e.receivedAt,
        }));
        for (let i = 0; i < rows.length; i += 200) {
          const bind: unknown[] = [];
          await osql.rows(
            `INSERT INTO ${tables.events} (${bulkColumns(cols)}) ${bulkSource(kind, cols, rows.slice(i, i + 200), bind)} RETURNING id`,
            bind,
          );
        }
        // The backfills run one statement per tenant and day, never one over the whole table.
        const inserts = { daily: 0, totals: 0, gaps: 0 };
        const query = odb.sequelize.query.bind(odb.sequelize);
        odb.sequelize.query = ((text: string, options?: object) => {
          if (/^\s*INSERT INTO behavior_daily_users\b/.test(text)) inserts.daily++;
          if (/^\s*INSERT INTO behavior_daily_totals\b/.test(text)) inserts.totals++;
          if (/^\s*INSERT INTO behavior_daily_gaps\b/.test(text)) inserts.gaps++;
          return query(text, options);
        }) as typeof odb.sequelize.query;
        assert.deepEqual(await odb.migrateUp(set()), [
          'behavior:0005_behavior_daily_users',
          'behavior:0006_behavior_daily_totals',
          'behavior:0007_behavior_daily_users_cover',
          'behavior:0008_behavior_daily_gaps',
          'behavior:0009_behavior_user_months',
        ]);
        odb.sequelize.query = query;
        // Windows of whole days per tenant (their width follows statement time): at least one statement
        // per tenant, at most one per tenant-day.
        const expected = await expectedRows(osql);
        const tenants = new Set(expected.map((r) => r.tenant_id)).size;
        const tenantDays = new Set(expected.map((r) => `${r.tenant_id} ${r.day}`)).size;
        assert.ok(tenantDays > DAYS, `${tenantDays} tenant-days`);
        for (const n of [inserts.daily, inserts.totals, inserts.gaps])
          assert.ok(
            n > tenants && n <= tenantDays,
            `${n} statements for ${tenants} tenants, ${tenantDays} tenant-days`,
          );
        // Equal to the one-statement backfill (a GROUP BY over every event), and to what the writer keeps.
        assert.deepEqual(await dailyRows(osql), await expectedRows(osql));
        assert.deepEqual(await totalRows(osql), await expectedTotals(osql));
        assert.deepEqual(await dailyRows(osql), await dailyRows(sql));
        assert.deepEqual(await totalRows(osql), await totalRows(sql));
        assert.deepEqual(await gapRows(osql), await expectedGaps(osql));
        assert.deepEqual(await gapRows(osql), await gapRows(sql));

        // A process killed part-way through the backfill: some rows committed, the migrations not
        // recorded. The next start runs them again from nothing and ends with the same rows.
        await odb.sequelize.query(
          `DELETE FROM aihub_migrations WHERE name IN ('behavior:0005_behavior_daily_users', 'behavior:0006_behavior_daily_totals', 'behavior:0007_behavior_daily_users_cover', 'behavior:0008_behavior_daily_gaps', 'behavior:0009_behavior_user_months')`,
        );
        await odb.sequelize.query(`DELETE FROM ${tables.daily} WHERE day > (SELECT MIN(day) FROM ${tables.daily})`);
        await odb.sequelize.query(`DELETE FROM ${GAPS} WHERE day > (SELECT MIN(day) FROM ${GAPS})`);
        assert.deepEqual(await odb.migrateUp(set()), [
          'behavior:0005_behavior_daily_users',
          'behavior:0006_behavior_daily_totals',
          'behavior:0007_behavior_daily_users_cover',
          'behavior:0008_behavior_daily_gaps',
          'behavior:0009_behavior_user_months',
        ]);
        assert.deepEqual(await dailyRows(osql), await expectedRows(osql));
        assert.deepEqual(await totalRows(osql), await expectedTotals(osql));
        assert.deepEqual(await gapRows(osql), await expectedGaps(osql));
      } finally {
        await odb.close();
      }
    });

    it('forgets an erased user (and their linked anonymous id) and stays exact', async () => {
      const before = await dailyRows(sql);
      const totalsBefore = await totalRows(sql);
      const out = await fast.deleteUser('ta', ['u3'], 7);
      assert.ok(out.events > 0 && out.profile);
      const rows = await dailyRows(sql);
      assert.equal(rows.filter((r) => r.tenant_id === 'ta' && ['u3', 'a-of-u3'].includes(r.user_key)).length, 0);
      // Only that user's rows went; the other tenant's u3 is untouched.
      assert.ok(rows.some((r) => r.tenant_id === 'tb' && r.user_key === 'u3'));
      assert.equal(
        rows.length,
        before.filter((r) => !(r.tenant_id === 'ta' && ['u3', 'a-of-u3'].includes(r.user_key))).length,
      );
      assert.deepEqual(rows, await expectedRows(sql));
      // The erased user's days decrement: fewer users (and events) on the rows they were in, the rest untouched.
      const totals = await totalRows(sql);
      const was = new Map(totalsBefore.map((r) => [`${r.tenant_id} ${r.day} ${r.event} ${r.type}`, r]));
      assert.ok(
        totals.some((r) => r.tenant_id === 'ta' && r.users < was.get(`ta ${r.day} ${r.event} ${r.type}`)!.users),
      );
      assert.deepEqual(
        totals.filter((r) => r.tenant_id === 'tb'),
        totalsBefore.filter((r) => r.tenant_id === 'tb'),
      );
      await assertTotals(sql, 'after erasure');
      await assertGaps(sql, 'after erasure');
      await assertSameAnswers(fast, raw, 'after erasure', FILTERS.slice(0, 2));
    });

    it('follows the retention job, rebuilding the day the cutoff cuts', async () => {
      // A cutoff within 2025-03-03 for tenant ta only (tb keeps everything).
      const days = Math.round((Date.now() - (FIRST_DAY + 7 * DAY + DAY / 2)) / DAY);
      const cutoff = Date.now() - days * DAY;
      const ctx = {
        config: { retention: { intervalMs: 60_000, batchSize: 3, defaultDays: undefined } },
        store: createMemoryStore(),
        clock: { now: () => Date.now() },
        logger: { info() {}, warn() {} },
        tryGet: () => undefined,
      } as unknown as PluginContext<BehaviorConfig>;
      const settings = new TenantSettingsCache(ctx);
      settings.remember('ta', { retentionDays: days });
      const metrics = { retentionDeleted: { inc() {} } } as unknown as BehaviorMetrics;
      const deleted = await new RetentionJob(ctx, sql, tables, settings, metrics).run();
      assert.ok(deleted > 0);
      const rows = await dailyRows(sql);
      const cutDay = iso(cutoff).slice(0, 10);
      assert.equal(rows.filter((r) => r.tenant_id === 'ta' && r.day < cutDay).length, 0);
      assert.ok(rows.some((r) => r.tenant_id === 'ta' && r.day === cutDay));
      assert.ok(rows.some((r) => r.tenant_id === 'tb' && r.day < cutDay));
      assert.deepEqual(rows, await expectedRows(sql));
      const totals = await totalRows(sql);
      assert.equal(totals.filter((r) => r.tenant_id === 'ta' && r.day < cutDay).length, 0);
      assert.ok(totals.some((r) => r.tenant_id === 'tb' && r.day < cutDay));
      await assertTotals(sql, 'after retention');
      // Later rows whose previous day was purged now have none ('').
      await assertGaps(sql, 'after retention');
      await assertSameAnswers(fast, raw, 'after retention', FILTERS.slice(0, 2));
    });
  });
}
