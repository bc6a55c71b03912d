import type { Transaction } from 'sequelize';
import { bulkColumns, bulkSource, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import type { StoredEvent } from '../ingest/events';
import type { Dialect } from '../types';
import { at, bucketOf, bucketSql, TS, type Interval } from './dialect';
import { addToMonths, monthsOf, purgeMonths, rebuildMonthsSql, rebuildUserMonths, userMonthKeys } from './userMonths';
import {
  addGap,
  addToGaps,
  applyGaps,
  gapsOf,
  purgeGaps,
  rebuildGapsSql,
  userGapsSql,
  type DayRow,
  type GapDeltas,
} from './gaps';

/*
 * Daily user sets: one row per (tenant, UTC day, event name, type, user) with the number of events,
 * kept by the EventWriter in the transaction of the events themselves, from the events actually
 * inserted (so a redelivered batch changes nothing). Distinct users of a day and event are then a
 * count over a few rows per user instead of a distinct count over every raw event; distinct users over
 * several days are still exact: COUNT(DISTINCT user_key) over the days' rows. The event name NULL
 * (identify, group, alias, a page without a name) is stored as '' (a key column cannot be NULL in a
 * unique key on both databases); an empty page name is thus "no name" here, as the trends already show it.
 *
 * Whatever deletes events (user erasure, the retention job) rebuilds the rows it touched from the
 * events left, under an exclusive per-tenant lock that every writer holds shared (PostgreSQL; SQLite
 * serializes transactions anyway), so no batch in flight can slip a row past the rebuild.
 */

const DAY_MS = 86_400_000;
/** First key of pg_advisory_xact_lock(int, int): this table's locks ('bhvd'), the tenant's hash the second. */
export const DAILY_LOCK_CLASS = 0x62687664;

const DAILY_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['day', 'text'],
  ['event', 'text'],
  ['type', 'text'],
  ['user_key', 'text'],
  ['events', 'bigint'],
];
const KEY = 'tenant_id, day, event, type, user_key';
/** Rows per statement: each statement's rows go as one parameter (core's bulkSource), so this only bounds its size. */
const ROWS_PER_INSERT = 5000;

export interface DailyTables {
  events: string;
  daily: string;
  /** Per-day totals (behavior_daily_totals); by default the daily table's name with `_totals` for `_users`. */
  totals?: string;
  /** Per-day gaps (behavior_daily_gaps, analytics/gaps.ts); by default the daily table's name with `_gaps`. */
  gaps?: string;
  /** Per-user months (behavior_user_months, analytics/userMonths.ts); by default derived from the daily table's name. */
  months?: string;
}

/**
 * The per-day totals table of `t`: one row per (tenant, UTC day, event name, type) with its events
 * and distinct users, kept with the daily sets (same writer, same locks), so a daily trend series
 * reads a few hundred rows. Derived from the daily table's name so every caller that already names
 * the daily sets (seeds, tests, benches) reaches the totals with it.
 */
export const totalsOf = (t: DailyTables): string => t.totals ?? t.daily.replace(/_users$/, '_totals');

const TOTAL_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['day', 'text'],
  ['event', 'text'],
  ['type', 'text'],
  ['events', 'bigint'],
  ['users', 'bigint'],
];
const TOTAL_KEY = 'tenant_id, day, event, type';

/** Changes to totals rows, by tenant, day, event and type (events and users may be negative: an erasure). */
export type TotalDeltas = Map<
  string,
  { tenant_id: string; day: string; event: string; type: string; events: number; users: number }
>;

function addDelta(d: TotalDeltas, r: Record<string, unknown>, events: number, users: number): void {
  const k = [r.tenant_id, r.day, r.event, r.type].join('\u0000');
  const cur = d.get(k);
  if (cur) {
    cur.events += events;
    cur.users += users;
  } else
    d.set(k, {
      tenant_id: String(r.tenant_id),
      day: String(r.day),
      event: String(r.event),
      type: String(r.type),
      events,
      users,
    });
}

/** Applies total deltas (upserts in key order: concurrent writers lock rows in the same order); rows left empty go. */
async function applyTotals(sql: Sql, table: string, deltas: TotalDeltas, tx: Transaction): Promise<void> {
  const list = [...deltas.entries()]
    .filter(([, v]) => v.events !== 0 || v.users !== 0)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r);
  let emptied = false;
  for (let i = 0; i < list.length; i += ROWS_PER_INSERT) {
    const chunk = list.slice(i, i + ROWS_PER_INSERT);
    if (chunk.some((r) => r.users < 0)) emptied = true;
    const bind: unknown[] = [];
    const source = bulkSource(sql.dialect, TOTAL_COLUMNS, chunk, bind);
    await sql.sequelize.query(
      `INSERT INTO ${table} (${bulkColumns(TOTAL_COLUMNS)}) ${source}
       ON CONFLICT (${TOTAL_KEY}) DO UPDATE SET events = ${table}.events + excluded.events, users = ${table}.users + excluded.users`,
      { bind, transaction: tx },
    );
  }
  // Only an erasure decrements; a row whose last user went is removed (as if never written).
  if (emptied)
    for (const tenant of new Set(list.filter((r) => r.users < 0).map((r) => r.tenant_id)))
      await sql.sequelize.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND users <= 0`, {
        bind: [tenant],
        transaction: tx,
      });
}

/** SQL inserting the totals of the daily rows matching `where` (over the daily table): backfill and rebuilds. */
export function rebuildTotalsSql(t: DailyTables, where: string): string {
  return `INSERT INTO ${totalsOf(t)} (${TOTAL_KEY}, events, users)
    SELECT tenant_id, day, event, type, SUM(events), COUNT(*) FROM ${t.daily} WHERE ${where} GROUP BY tenant_id, day, event, type`;
}

/** Takes the tenant's daily-set lock for the rest of the transaction: shared for writers, exclusive for rebuilds. */
export async function lockTenant(sql: Sql, tx: Transaction, tenantId: string, exclusive: boolean): Promise<void> {
  if (sql.dialect !== 'postgres') return;
  await sql.rows(
    `SELECT 1 AS ok FROM (SELECT ${exclusive ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared'}(${DAILY_LOCK_CLASS}, hashtext($1))) l`,
    [tenantId],
    tx,
  );
}

/**
 * Adds freshly inserted events to the daily sets and the per-day totals (in the events' transaction,
 * after lockTenant shared). A daily row that is new (its insert-or-ignore returns it) is a user not
 * yet counted that day for that event and type: the totals' users go up by one; rows already there
 * only add their events.
 */
export async function addToDaily(
  sql: Sql,
  table: string,
  fresh: StoredEvent[],
  tx: Transaction,
  totals: string = totalsOf({ events: '', daily: table }),
  gaps?: string,
  months?: string,
): Promise<void> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const e of fresh) {
    const userKey = e.userId ?? e.anonymousId;
    const day = e.timestamp.slice(0, 10);
    const event = e.event ?? '';
    const k = [e.tenantId, day, event, e.type, userKey].join('\u0000');
    const r = rows.get(k);
    if (r) (r.events as number)++;
    else rows.set(k, { tenant_id: e.tenantId, day, event, type: e.type, user_key: userKey, events: 1 });
  }
  // A fixed order: concurrent writers lock the rows they update in the same order (no deadlock).
  const sorted = [...rows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const deltas: TotalDeltas = new Map();
  const added: DayRow[] = [];
  const per = sql.dialect === 'postgres' ? 5000 : ROWS_PER_INSERT;
  for (let i = 0; i < sorted.length; i += per) {
    const chunk = sorted.slice(i, i + per);
    const bind: unknown[] = [];
    const source = bulkSource(
      sql.dialect,
      DAILY_COLUMNS,
      chunk.map(([, r]) => r),
      bind,
    );
    // New rows first: exactly one writer inserts a given row (a concurrent one waits for it, then skips it).
    const inserted = await sql.rows<Record<string, unknown>>(
      `INSERT INTO ${table} (${bulkColumns(DAILY_COLUMNS)}) ${source}
       ON CONFLICT (${KEY}) DO NOTHING RETURNING ${KEY}`,
      bind,
      tx,
    );
    const isNew = new Set(inserted.map((r) => [r.tenant_id, r.day, r.event, r.type, r.user_key].join('\u0000')));
    for (const r of inserted)
      added.push({
        tenant_id: String(r.tenant_id),
        day: String(r.day),
        event: String(r.event),
        type: String(r.type),
        user_key: String(r.user_key),
      });
    const existing = chunk.filter(([k]) => !isNew.has(k)).map(([, r]) => r);
    for (const [k, r] of chunk) addDelta(deltas, r, r.events as number, isNew.has(k) ? 1 : 0);
    if (!existing.length) continue;
    const bind2: unknown[] = [];
    await sql.sequelize.query(
      `INSERT INTO ${table} (${bulkColumns(DAILY_COLUMNS)}) ${bulkSource(sql.dialect, DAILY_COLUMNS, existing, bind2)}
       ON CONFLICT (${KEY}) DO UPDATE SET events = ${table}.events + excluded.events`,
      { bind: bind2, transaction: tx },
    );
  }
  await applyTotals(sql, totals, deltas, tx);
  const t: DailyTables = { events: '', daily: table, ...(gaps ? { gaps } : {}), ...(months ? { months } : {}) };
  await addToGaps(sql, t, added, tx);
  await addToMonths(sql, t, added, tx);
}

/** The UTC day label (`2025-01-02`) of the events table's time column. */
const eventDay = (dialect: Dialect) => bucketSql(dialect, 'day');

/**
 * INSERT of the daily rows of the events matching `where` (over the events table, its placeholders
 * in `bind`), grouped from the raw events: the migration's backfill and every rebuild.
 */
export function rebuildSql(dialect: Dialect, t: DailyTables, where: string): string {
  const day = eventDay(dialect);
  return `INSERT INTO ${t.daily} (${KEY}, events)
    SELECT tenant_id, ${day}, COALESCE(event, ''), type, distinct_id, COUNT(*) FROM ${t.events}
    WHERE ${where} GROUP BY tenant_id, ${day}, COALESCE(event, ''), type, distinct_id`;
}

/**
 * Rebuilds the daily rows of some users of a tenant from the events they have left (after an
 * erasure). `users` are distinct ids (user ids or anonymous ids).
 */
export async function rebuildUsers(sql: Sql, t: DailyTables, tenantId: string, users: string[]): Promise<void> {
  const keys = [...new Set(users)];
  if (!keys.length) return;
  await sql.transaction(async (tx) => {
    await lockTenant(sql, tx, tenantId, true);
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const list = chunk.map((_, j) => `$${j + 2}`).join(', ');
      const bind = [tenantId, ...chunk];
      // The totals change by what these users' rows were before and are after: an erased user decrements.
      const grouped = () =>
        sql.rows<Record<string, unknown>>(
          `SELECT tenant_id, day, event, type, SUM(events) AS events, COUNT(*) AS users FROM ${t.daily}
           WHERE tenant_id = $1 AND user_key IN (${list}) GROUP BY tenant_id, day, event, type`,
          bind,
          tx,
        );
      const deltas: TotalDeltas = new Map();
      const gapDeltas: GapDeltas = new Map();
      const gapRows = () => sql.rows<Record<string, unknown>>(userGapsSql(t, list), bind, tx);
      const addGaps = (rows: Record<string, unknown>[], sign: number) => {
        for (const r of rows) addGap(gapDeltas, r as unknown as DayRow, String(r.prev_day), sign * Number(r.users));
      };
      for (const r of await grouped()) addDelta(deltas, r, -Number(r.events), -Number(r.users));
      addGaps(await gapRows(), -1);
      const monthKeys = await userMonthKeys(sql, t, list, bind, tx);
      await sql.sequelize.query(`DELETE FROM ${t.daily} WHERE tenant_id = $1 AND user_key IN (${list})`, {
        bind,
        transaction: tx,
      });
      await sql.sequelize.query(rebuildSql(sql.dialect, t, `tenant_id = $1 AND distinct_id IN (${list})`), {
        bind,
        transaction: tx,
      });
      for (const r of await grouped()) addDelta(deltas, r, Number(r.events), Number(r.users));
      addGaps(await gapRows(), 1);
      await applyTotals(sql, totalsOf(t), deltas, tx);
      await applyGaps(sql, gapsOf(t), gapDeltas, tx);
      await rebuildUserMonths(sql, t, monthKeys, list, bind, tx);
    }
  });
}

/**
 * After the retention job deleted a tenant's events before `cutoff`: removes the daily rows of the
 * days before the cutoff's day, `batchSize` per statement, then, under the exclusive lock, the
 * stragglers (events and rows a writer added meanwhile) and rebuilds the cutoff's own day, part of
 * which was deleted, from the events left. Returns the events deleted under the lock.
 */
export async function purgeDaily(
  sql: Sql,
  t: DailyTables,
  tenantId: string,
  cutoff: string,
  batchSize: number,
): Promise<number> {
  const day = cutoff.slice(0, 10);
  const rowId = sql.dialect === 'postgres' ? 'ctid' : 'rowid';
  for (;;) {
    const rows = await sql.rows(
      `DELETE FROM ${t.daily} WHERE ${rowId} IN (SELECT ${rowId} FROM ${t.daily} WHERE tenant_id = $1 AND day < $2 LIMIT ${Math.floor(batchSize)}) RETURNING tenant_id`,
      [tenantId, day],
    );
    if (rows.length < batchSize) break;
    await new Promise((r) => setImmediate(r));
  }
  return sql.transaction(async (tx) => {
    await lockTenant(sql, tx, tenantId, true);
    const late = await sql.rows(
      `DELETE FROM ${t.events} WHERE tenant_id = $1 AND ${TS} < ${at(sql.dialect, 2)} RETURNING id`,
      [tenantId, cutoff],
      tx,
    );
    const before = await sql.rows<Omit<DayRow, 'tenant_id' | 'day'>>(
      `SELECT event, type, user_key FROM ${t.daily} WHERE tenant_id = $1 AND day = $2`,
      [tenantId, day],
      tx,
    );
    await sql.sequelize.query(`DELETE FROM ${t.daily} WHERE tenant_id = $1 AND day <= $2`, {
      bind: [tenantId, day],
      transaction: tx,
    });
    await sql.sequelize.query(`DELETE FROM ${totalsOf(t)} WHERE tenant_id = $1 AND day <= $2`, {
      bind: [tenantId, day],
      transaction: tx,
    });
    const start = new Date(Date.parse(`${day}T00:00:00Z`)).toISOString();
    const end = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString();
    await sql.sequelize.query(
      rebuildSql(sql.dialect, t, `tenant_id = $1 AND ${TS} >= ${at(sql.dialect, 2)} AND ${TS} < ${at(sql.dialect, 3)}`),
      { bind: [tenantId, start, end], transaction: tx },
    );
    await sql.sequelize.query(rebuildTotalsSql(t, 'tenant_id = $1 AND day = $2'), {
      bind: [tenantId, day],
      transaction: tx,
    });
    await purgeGaps(sql, t, tenantId, day, before, tx);
    await purgeMonths(sql, t, tenantId, day, before, tx);
    return late.length;
  });
}

/** Rebuilds every daily row, total, gap and user month (of one tenant, or all) from the raw events: the migration's backfill, and seeds. */
export async function rebuildDaily(sql: Sql, t: DailyTables, tenantId?: string): Promise<void> {
  await sql.transaction(async (tx) => {
    if (tenantId) await lockTenant(sql, tx, tenantId, true);
    await sql.sequelize.query(`DELETE FROM ${t.daily}${tenantId ? ' WHERE tenant_id = $1' : ''}`, {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(rebuildSql(sql.dialect, t, tenantId ? 'tenant_id = $1' : '1 = 1'), {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(`DELETE FROM ${totalsOf(t)}${tenantId ? ' WHERE tenant_id = $1' : ''}`, {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(rebuildTotalsSql(t, tenantId ? 'tenant_id = $1' : '1 = 1'), {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(`DELETE FROM ${gapsOf(t)}${tenantId ? ' WHERE tenant_id = $1' : ''}`, {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(rebuildGapsSql(t, tenantId ? 'g.tenant_id = $1' : '1 = 1'), {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    await sql.sequelize.query(`DELETE FROM ${monthsOf(t)}${tenantId ? ' WHERE tenant_id = $1' : ''}`, {
      bind: tenantId ? [tenantId] : [],
      transaction: tx,
    });
    for (const text of rebuildMonthsSql(t, tenantId ? 'tenant_id = $1' : '1 = 1'))
      await sql.sequelize.query(text, { bind: tenantId ? [tenantId] : [], transaction: tx });
  });
}

/** SQL for the bucket label of a daily row's `day` (text `YYYY-MM-DD`), the same labels as bucketSql. */
export function dayBucketSql(dialect: Dialect, interval: Exclude<Interval, 'hour'>, column = 'day'): string {
  switch (interval) {
    case 'day':
      return column;
    case 'month':
      return `substr(${column}, 1, 7)`;
    case 'week':
      return dialect === 'postgres'
        ? `to_char(date_trunc('week', CAST(${column} AS timestamp)), 'YYYY-MM-DD')`
        : `date(${column}, 'weekday 0', '-6 days')`;
  }
}

export interface DailyFilter {
  /** Any of these event names. */
  events?: string[];
  type?: string;
}

/** What a range source reads: rows of a stored per-day table for whole days, the raw events for partial ones. */
interface RangeShape {
  /** The stored table (whole UTC days) and its select list. */
  table: string;
  stored: string;
  /** The select list over the raw events (`day`: their UTC day label), and its GROUP BY when it groups. */
  raw: (day: string) => { select: string; groupBy?: string };
}

/**
 * A FROM-clause source of `shape`'s rows covering exactly [from, to): the whole UTC days from the
 * stored table, and the partial days at either end (a range given as date-times) from the raw events.
 * Tenant-scoped; both sides filtered alike.
 */
function rangeSource(
  dialect: Dialect,
  events: string,
  tenantId: string,
  range: { from: number; to: number },
  f: DailyFilter,
  shape: RangeShape,
): { sql: string; bind: unknown[] } {
  const bind: unknown[] = [tenantId];
  const p = (v: unknown) => {
    bind.push(v);
    return `$${bind.length}`;
  };
  const filters = () =>
    (f.type !== undefined ? ` AND type = ${p(f.type)}` : '') +
    (f.events?.length ? ` AND event IN (${[...new Set(f.events)].map(p).join(', ')})` : '');
  const parts: string[] = [];
  const raw = (from: number, to: number) => {
    if (from >= to) return;
    const a = p(new Date(from).toISOString());
    const b = p(new Date(to).toISOString());
    const { select, groupBy } = shape.raw(eventDay(dialect));
    parts.push(
      `SELECT ${select} FROM ${events}
       WHERE tenant_id = $1 AND ${TS} >= ${dialect === 'postgres' ? `${a}::timestamptz` : a} AND ${TS} < ${dialect === 'postgres' ? `${b}::timestamptz` : b}${filters()}` +
        (groupBy ? `\n       GROUP BY ${groupBy}` : ''),
    );
  };
  const firstDay = Math.ceil(range.from / DAY_MS) * DAY_MS;
  const endDay = Math.floor(range.to / DAY_MS) * DAY_MS;
  if (firstDay >= endDay) raw(range.from, range.to);
  else {
    raw(range.from, firstDay);
    parts.push(
      `SELECT ${shape.stored} FROM ${shape.table} WHERE tenant_id = $1 AND day >= ${p(bucketOf(firstDay, 'day'))} AND day < ${p(bucketOf(endDay, 'day'))}${filters()}`,
    );
    raw(endDay, range.to);
  }
  return { sql: `(${parts.join(' UNION ALL ')})`, bind };
}

/**
 * A FROM-clause source of rows (day, type, event, user_key, n) covering exactly [from, to): the whole
 * UTC days from the daily table, and the partial days at either end (a range given as date-times) from
 * the raw events, one row per event. Grouped over it, SUM(n) is the event count and
 * COUNT(DISTINCT user_key) the distinct users, equal to the raw events' answers. Tenant-scoped.
 */
export function dailySource(
  dialect: Dialect,
  t: DailyTables,
  tenantId: string,
  range: { from: number; to: number },
  f: DailyFilter,
): { sql: string; bind: unknown[] } {
  return rangeSource(dialect, t.events, tenantId, range, f, {
    table: t.daily,
    stored: 'day, type, event, user_key, events AS n',
    raw: (day) => ({ select: `${day} AS day, type, COALESCE(event, '') AS event, distinct_id AS user_key, 1 AS n` }),
  });
}

/**
 * A FROM-clause source of rows (day, type, event, n, users) covering exactly [from, to): the whole UTC
 * days from the per-day totals, the partial days at either end grouped from the raw events. One row
 * per day, type and event name: SUM(n) over any grouping is the event count; `users` is that day's,
 * event's and type's distinct users, additive only over rows that are different days' or different
 * events' of one type (a user counts once per row). Tenant-scoped.
 */
export function totalsSource(
  dialect: Dialect,
  t: DailyTables,
  tenantId: string,
  range: { from: number; to: number },
  f: DailyFilter,
): { sql: string; bind: unknown[] } {
  return rangeSource(dialect, t.events, tenantId, range, f, {
    table: totalsOf(t),
    stored: 'day, type, event, events AS n, users',
    raw: (day) => ({
      select: `${day} AS day, type, COALESCE(event, '') AS event, COUNT(*) AS n, COUNT(DISTINCT distinct_id) AS users`,
      groupBy: `${day}, type, COALESCE(event, '')`,
    }),
  });
}
