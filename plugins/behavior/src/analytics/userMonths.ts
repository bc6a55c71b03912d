import type { Transaction } from 'sequelize';
import { bulkColumns, bulkSource, num, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import type { DailyTables } from './daily';
import { bucketOf, bucketsBetween, bytewise, type Interval } from './dialect';
import type { DayRow } from './gaps';

/*
 * Per-user months: one row per (tenant, kind, event, month, user) whose `days` has bit d-1 set when
 * the user did something that day of the month — kind 'any' (any event, `event` ''), or kind 'event'
 * (that event name, any type). Why: retention needs each user's days (their first day in the range is
 * their cohort, and a later period counts when they came back in it), and a cohort's return is a pair
 * of one user's days, which no per-day sum holds. Read from the daily sets, that is every user-day
 * row of the range grouped by user in the database (483,263 rows at 30 days and 1M events); here it is
 * one row per user and month (36,552 for the same users), each user's days decoded in JS.
 *
 * Exact and order-free: the writer ORs the bits of the daily rows it inserts (an OR commutes, so
 * concurrent writers and late events need no lock); erasure rebuilds the rows it touches from the
 * daily sets, the retention purge clears the purged days' bits (purgeMonths).
 */

const COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['kind', 'text'],
  ['event', 'text'],
  ['month', 'text'],
  ['user_key', 'text'],
  ['days', 'bigint'],
];
const KEY = 'tenant_id, kind, event, month, user_key';
const ROWS_PER_STATEMENT = 5000;
const DAY_MS = 86_400_000;

/** The per-user months table of `t`: `months` when given, else the daily table's name with `_user_months` for `_daily_users`. */
export const monthsOf = (t: DailyTables): string => t.months ?? t.daily.replace(/_daily_users$/, '_user_months');

/** Bit of a `YYYY-MM-DD` day within its month's mask. */
const bit = (day: string) => 1 << (Number(day.slice(8, 10)) - 1);

/** SQL: the same bit for a daily row's `day` column (both databases shift integers alike). */
const bitSql = (column: string) => `(1 << (CAST(substr(${column}, 9, 2) AS INTEGER) - 1))`;

/** SQL adding the month rows of the daily rows matching `where` (over the daily table): backfill and rebuilds. Bits are ORed into rows already there. */
export function rebuildMonthsSql(t: DailyTables, where: string): string[] {
  const m = monthsOf(t);
  // SUM(DISTINCT bit) is the OR of a group's day bits (each day one power of two); SQLite has no bit_or.
  const upsert = `ON CONFLICT (${KEY}) DO UPDATE SET days = ${m}.days | excluded.days`;
  return [
    `INSERT INTO ${m} (${KEY}, days)
     SELECT tenant_id, 'any', '', substr(day, 1, 7), user_key, SUM(DISTINCT ${bitSql('day')}) FROM ${t.daily}
     WHERE ${where} GROUP BY tenant_id, substr(day, 1, 7), user_key ${upsert}`,
    `INSERT INTO ${m} (${KEY}, days)
     SELECT tenant_id, 'event', event, substr(day, 1, 7), user_key, SUM(DISTINCT ${bitSql('day')}) FROM ${t.daily}
     WHERE ${where} GROUP BY tenant_id, event, substr(day, 1, 7), user_key ${upsert}`,
  ];
}

/** ORs the days of daily rows this transaction has just inserted into their users' months (any event and per event). */
export async function addToMonths(sql: Sql, t: DailyTables, fresh: DayRow[], tx: Transaction): Promise<void> {
  const rows = new Map<string, Record<string, unknown> & { days: number }>();
  const add = (r: DayRow, kind: string, event: string) => {
    const month = r.day.slice(0, 7);
    const k = [r.tenant_id, kind, event, month, r.user_key].join('\u0000');
    const cur = rows.get(k);
    if (cur) cur.days |= bit(r.day);
    else rows.set(k, { tenant_id: r.tenant_id, kind, event, month, user_key: r.user_key, days: bit(r.day) });
  };
  for (const r of fresh) {
    add(r, 'any', '');
    add(r, 'event', r.event);
  }
  // Key order: concurrent writers lock the rows they update in the same order (no deadlock).
  const list = [...rows.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
  const m = monthsOf(t);
  for (let i = 0; i < list.length; i += ROWS_PER_STATEMENT) {
    const bind: unknown[] = [];
    const source = bulkSource(sql.dialect, COLUMNS, list.slice(i, i + ROWS_PER_STATEMENT), bind);
    await sql.sequelize.query(
      // A day already set (the user's earlier event that day) rewrites nothing.
      `INSERT INTO ${m} (${bulkColumns(COLUMNS)}) ${source}
       ON CONFLICT (${KEY}) DO UPDATE SET days = ${m}.days | excluded.days WHERE (${m}.days & excluded.days) <> excluded.days`,
      { bind, transaction: tx },
    );
  }
}

/** A user's month row's key, as a daily row names it. */
export type MonthKey = { tenant_id: string; event: string; month: string; user_key: string };

/**
 * The month rows some users have, read from their daily rows (through the daily sets' user index):
 * an erasure reads them before it deletes those rows, then rebuildUserMonths deletes them by key.
 * `list` holds the users' placeholders ($2…), `$1` the tenant.
 */
export function userMonthKeys(sql: Sql, t: DailyTables, list: string, bind: unknown[], tx: Transaction) {
  return sql.rows<MonthKey>(
    `SELECT DISTINCT tenant_id, event, substr(day, 1, 7) AS month, user_key FROM ${t.daily} WHERE tenant_id = $1 AND user_key IN (${list})`,
    bind,
    tx,
  );
}

/**
 * Rebuilds some users' months from their daily rows (after an erasure rebuilt those): their old
 * rows (`keys`, from userMonthKeys) go by primary key — the table has no index by user, which every
 * write would pay for — and the rows of the daily rows left come back.
 */
export async function rebuildUserMonths(
  sql: Sql,
  t: DailyTables,
  keys: MonthKey[],
  list: string,
  bind: unknown[],
  tx: Transaction,
) {
  const rows = new Map<string, Record<string, unknown>>();
  for (const k of keys)
    for (const [kind, event] of [
      ['any', ''],
      ['event', k.event],
    ]) {
      const r = { tenant_id: k.tenant_id, kind, event, month: k.month, user_key: k.user_key };
      rows.set(Object.values(r).join('\u0000'), r);
    }
  const list2 = [...rows.values()];
  for (let i = 0; i < list2.length; i += ROWS_PER_STATEMENT) {
    const b: unknown[] = [];
    const source = bulkSource(sql.dialect, COLUMNS.slice(0, 5), list2.slice(i, i + ROWS_PER_STATEMENT), b);
    await sql.sequelize.query(`DELETE FROM ${monthsOf(t)} WHERE (${KEY}) IN (${source})`, { bind: b, transaction: tx });
  }
  for (const text of rebuildMonthsSql(t, `tenant_id = $1 AND user_key IN (${list})`))
    await sql.sequelize.query(text, { bind, transaction: tx });
}

/**
 * Retention purge (under the tenant's exclusive lock, after the daily rows were purged up to `day`,
 * the cutoff's, and that day rebuilt from the events left; `before` are the (event, type, user) rows
 * the day had). Months before the cutoff's go; in the cutoff's month the bits of earlier days are
 * cleared, and the cutoff day's bit is recomputed only for the users who lost a row that day. Why
 * not a rebuild of the month from the daily sets: that re-grouped up to a month of daily rows every
 * pass (hourly) while every writer of the tenant waited (PostgreSQL, 248,000 daily rows in the month:
 * 1.8-2.1 s under the lock; SQLite 450 ms of the one writer).
 */
export async function purgeMonths(
  sql: Sql,
  t: DailyTables,
  tenantId: string,
  day: string,
  before: Omit<DayRow, 'tenant_id' | 'day'>[],
  tx: Transaction,
) {
  const m = monthsOf(t);
  const month = day.slice(0, 7);
  const q = (text: string, bind: unknown[]) => sql.sequelize.query(text, { bind, transaction: tx });
  await q(`DELETE FROM ${m} WHERE tenant_id = $1 AND month < $2`, [tenantId, month]);
  // Days 1..d-1 of the cutoff's month are gone from the daily sets: their bits go, rows left without a day too.
  const earlier = bit(day) - 1;
  if (earlier) {
    const keep = 0x7fffffff & ~earlier;
    await q(`DELETE FROM ${m} WHERE tenant_id = $1 AND month = $2 AND (days & $3) = 0`, [tenantId, month, keep]);
    await q(`UPDATE ${m} SET days = days & $3 WHERE tenant_id = $1 AND month = $2 AND (days & $4) <> 0`, [
      tenantId,
      month,
      keep,
      earlier,
    ]);
  }
  // The cutoff's day: users who lost a row on it keep its bit only if a row of theirs (of that event) is left.
  const kept = await sql.rows<Omit<DayRow, 'tenant_id' | 'day'>>(
    `SELECT event, type, user_key FROM ${t.daily} WHERE tenant_id = $1 AND day = $2`,
    [tenantId, day],
    tx,
  );
  const still = new Set(kept.map((r) => [r.event, r.type, r.user_key].join('\u0000')));
  const keys = new Map<string, Record<string, unknown>>();
  for (const r of before) {
    if (still.has([r.event, r.type, r.user_key].join('\u0000'))) continue;
    for (const [kind, event] of [
      ['any', ''],
      ['event', r.event],
    ]) {
      const k = { tenant_id: tenantId, kind, event, month, user_key: r.user_key };
      keys.set(Object.values(k).join('\u0000'), k);
    }
  }
  const list = [...keys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, k]) => k);
  const users = [...new Set(list.map((k) => k.user_key))].map((user_key) => ({ user_key }));
  const mask = 0x7fffffff & ~bit(day);
  for (let i = 0; i < list.length; i += ROWS_PER_STATEMENT) {
    const b: unknown[] = [mask];
    const source = bulkSource(sql.dialect, COLUMNS.slice(0, 5), list.slice(i, i + ROWS_PER_STATEMENT), b);
    await q(`UPDATE ${m} SET days = days & $1 WHERE (${KEY}) IN (${source})`, b);
  }
  for (let i = 0; i < users.length; i += ROWS_PER_STATEMENT) {
    const b: unknown[] = [tenantId, day];
    const source = bulkSource(sql.dialect, [['user_key', 'text']], users.slice(i, i + ROWS_PER_STATEMENT), b);
    for (const text of rebuildMonthsSql(
      t,
      `tenant_id = $1 AND day = $2 AND user_key IN (SELECT user_key FROM (${source}) u)`,
    ))
      await q(text, b);
  }
  for (let i = 0; i < list.length; i += ROWS_PER_STATEMENT) {
    const b: unknown[] = [];
    const source = bulkSource(sql.dialect, COLUMNS.slice(0, 5), list.slice(i, i + ROWS_PER_STATEMENT), b);
    await q(`DELETE FROM ${m} WHERE (${KEY}) IN (${source}) AND days = 0`, b);
  }
}

/**
 * The distinct users of a range of whole UTC days (any type), of `events` (any event when none): the
 * users with a day bit of the range in one of its months' rows — a distinct count over one row per
 * user and month instead of over every user's daily rows. Each month of the range is tested with
 * its own mask (the range's days in it).
 */
export async function usersFromMonths(
  read: Sql,
  t: DailyTables,
  tenantId: string,
  range: { from: number; to: number },
  events: string[] | undefined,
): Promise<number> {
  const bind: unknown[] = [tenantId];
  const p = (v: unknown) => {
    bind.push(v);
    return `$${bind.length}`;
  };
  const masks = new Map<string, number>();
  for (let d = range.from; d < range.to; d += DAY_MS) {
    const day = bucketOf(d, 'day');
    masks.set(day.slice(0, 7), (masks.get(day.slice(0, 7)) ?? 0) | bit(day));
  }
  if (!masks.size) return 0;
  const names = [...new Set(events ?? [])];
  const scope = names.length
    ? `kind = 'event' AND event IN (${names.map(p).join(', ')})`
    : `kind = 'any' AND event = ''`;
  const months = [...masks].map(([m, mask]) => `(month = ${p(m)} AND (days & ${p(mask)}) <> 0)`).join(' OR ');
  const u = bytewise(read.dialect, 'user_key');
  const [row] = await read.rows<{ users: unknown }>(
    `SELECT COUNT(*) AS users FROM (SELECT ${u} AS u FROM ${monthsOf(t)} WHERE tenant_id = $1 AND ${scope} AND (${months}) GROUP BY ${u}) g`,
    bind,
  );
  return num(row?.users);
}

export interface Cohort {
  users: number;
  counts: number[];
}

/**
 * Retention cohorts from the per-user months, for a range of whole UTC days: each user's first day
 * with `startEvent` (any event when undefined) in [from, to) is their cohort's; period p > 0 counts
 * when they did `returnEvent` (any) in the cohort's bucket + p, before `endMs`; period 0 is the
 * cohort's size. The same answer as grouping the daily sets (Analytics.retention's other paths).
 * Refused (undefined) past `maxUsers` users, for the caller's 422.
 */
export async function retentionFromMonths(
  read: Sql,
  t: DailyTables,
  tenantId: string,
  range: { from: number; to: number },
  endMs: number,
  interval: Exclude<Interval, 'hour'>,
  periods: number,
  startEvent: string | undefined,
  returnEvent: string | undefined,
  maxUsers: number,
): Promise<Map<string, Cohort> | undefined> {
  const first = Math.floor(range.from / DAY_MS);
  const to = Math.floor(range.to / DAY_MS);
  const end = Math.max(to, Math.floor(endMs / DAY_MS));
  // Per day of [from, end): its bucket's label and index (from the first day's bucket).
  const labels: string[] = [];
  const index: number[] = [];
  const firstLabel = bucketOf(first * DAY_MS, interval);
  for (let d = first; d < end; d++) {
    labels.push(bucketOf(d * DAY_MS, interval));
    index.push(bucketsBetween(firstLabel, labels[labels.length - 1], interval));
  }
  const monthOf = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 7);
  const scope = (event: string | undefined) => (event === undefined ? ['any', ''] : ['event', event]);
  /** Each user's days in [from, until) with `event`, as day numbers, read month by month. */
  const daysOf = async (event: string | undefined, until: number) => {
    const [kind, name] = scope(event);
    const rows = await read.rows<{ user_key: string; month: string; days: unknown }>(
      `SELECT user_key, month, days FROM ${monthsOf(t)} WHERE tenant_id = $1 AND kind = $2 AND event = $3 AND month >= $4 AND month <= $5`,
      [tenantId, kind, name, monthOf(first), monthOf(until - 1)],
    );
    const byUser = new Map<string, number[]>();
    const starts = new Map<string, number>();
    for (const r of rows) {
      let start = starts.get(r.month);
      if (start === undefined) starts.set(r.month, (start = Date.parse(`${r.month}-01T00:00:00Z`) / DAY_MS));
      let list = byUser.get(r.user_key);
      if (!list) byUser.set(r.user_key, (list = []));
      for (let bits = num(r.days), b = 0; bits; bits >>>= 1, b++)
        if (bits & 1 && start + b >= first && start + b < until) list.push(start + b);
    }
    return byUser;
  };
  // One read when the cohort event is the return event: its days before `to` give the first.
  const starts = await daysOf(startEvent, startEvent === returnEvent ? end : to);
  const returns = startEvent === returnEvent ? undefined : await daysOf(returnEvent, end);
  const cohorts = new Map<string, Cohort>();
  let users = 0;
  for (const [user, days] of starts) {
    let f = Infinity;
    for (const d of days) if (d < to && d < f) f = d;
    if (f === Infinity) continue;
    if (++users > maxUsers) return undefined;
    const label = labels[f - first];
    let c = cohorts.get(label);
    if (!c) cohorts.set(label, (c = { users: 0, counts: new Array<number>(periods).fill(0) }));
    c.users++;
    c.counts[0]++;
    const back = new Set<number>();
    for (const d of returns ? (returns.get(user) ?? []) : days) {
      const p = index[d - first] - index[f - first];
      if (p > 0 && p < periods) back.add(p);
    }
    for (const p of back) c.counts[p]++;
  }
  return cohorts;
}
