import { errors } from '@aihub/core/plugin-api';
import { iso, num, type Sql } from '@aihub/core/plugin-api';
import {
  at,
  bucketOf,
  bucketSql,
  bucketsBetween,
  bytewise,
  checkProperty,
  nextBucket,
  propertyParam,
  propertySql,
  TS,
  type Interval,
} from './dialect';
import { Filters } from './Filters';
import { addUser, funnelResult, newFunnel } from './funnel';
import { scanByUser } from './scan';
import { SessionStats, sessionsOf, type Session } from './sessions';
import { encodeCursor, type TimelineCursor } from './timeline';
import { BehaviorErrors } from '../errors';
import { dailySource, dayBucketSql, rebuildUsers, totalsOf, totalsSource, type DailyFilter } from './daily';
import { gapsOf } from './gaps';
import { retentionFromMonths, usersFromMonths } from './userMonths';

export interface Tables {
  events: string;
  profiles: string;
  deleted: string;
  /** Daily user sets (analytics/daily.ts). */
  daily: string;
  /** Per-day totals (analytics/daily.ts totalsOf: derived from `daily` when not given). */
  totals?: string;
  /** Per-day gaps (analytics/gaps.ts gapsOf: derived from `daily` when not given). */
  gaps?: string;
}

export interface EventFilter {
  /** Any of these event names. */
  events?: string[];
  type?: string;
  /** Any of these user ids (the forms one id may be stored under, see storedIdsOf). */
  userIds?: string[];
  properties: Record<string, string>;
}

const DAY_MS = 86_400_000;
/** A range of whole UTC days. */
const whole = (r: { from: number; to: number }) => r.from % DAY_MS === 0 && r.to % DAY_MS === 0;
const MAX_BUCKETS = 10_000;
/** Most (bucket, event) rows one trends query returns: many distinct event names over many buckets. */
const MAX_SERIES_ROWS = 100_000;

/** Read side of behavior analytics. Every query is scoped by tenant id; SQL runs on PostgreSQL and SQLite. */
export class Analytics {
  constructor(
    private readonly sql: Sql,
    private readonly t: Tables,
    private readonly maxScan: number,
    /** Read counts and distinct users from the daily user sets where they can answer (false: always the raw events). */
    private readonly useDaily = true,
    /** Where the queries read (readSql: on SQLite a connection of their own); writes go through `sql`. */
    private readonly read: Sql = sql,
  ) {}

  /** The daily sets' source for [from, to) (see dailySource), its placeholders numbered from $1. */
  private daily(tenantId: string, range: { from: number; to: number }, f: DailyFilter) {
    return dailySource(this.sql.dialect, this.t, tenantId, range, f);
  }

  private filters(tenantId: string, range: { from: number; to: number } | undefined, f?: EventFilter): Filters {
    const q = new Filters(this.sql.dialect, tenantId, range);
    if (f) {
      if (f.events?.length) q.in('event', [...new Set(f.events)]);
      q.eq('type', f.type);
      if (f.userIds?.length) q.in('user_id', [...new Set(f.userIds)]);
      q.properties(f.properties);
    }
    return q;
  }

  /**
   * Event counts (and distinct users) per time bucket, zero-filled; optionally split by event name.
   * Without `withUsers` the distinct users (series and total) are left out: the counts then come from
   * the per-day totals alone, the cheap first answer a screen can paint before asking for users.
   */
  async counts(
    tenantId: string,
    range: { from: number; to: number },
    interval: Interval,
    f: EventFilter,
    byEvent: boolean,
    withUsers = true,
  ) {
    const first = bucketOf(range.from, interval);
    const last = bucketOf(range.to - 1, interval);
    if (bucketsBetween(first, last, interval) > MAX_BUCKETS)
      throw errors.badRequest(
        `More than ${MAX_BUCKETS} ${interval} buckets: use a larger interval.`,
        'invalid_interval',
        'interval',
      );
    let rows: Record<string, unknown>[] | undefined;
    let total: Record<string, unknown> = {};
    // The daily sets hold per-day users of each event name and type, the totals per-day events and
    // users of each: they answer day, week and month buckets filtered by event and type. Hours,
    // property filters (neither keeps properties) and user_id (a user id, where the sets key the
    // distinct id) read the raw events.
    if (this.useDaily && interval !== 'hour' && !f.userIds?.length && !Object.keys(f.properties).length) {
      const b = dayBucketSql(this.sql.dialect, interval);
      const daily = { events: f.events, type: f.type };
      // Users of a (day, event) are its totals row's when that row is the day's only one for the
      // event: one type asked for, or only one type present (checked on the answer: `types`, the rows
      // summed). Otherwise a user may be in several rows (across types, events, days), and those
      // count the user sets: a distinct count over every user's rows, the slow part.
      const perDay = withUsers && interval === 'day' && byEvent;
      if (!withUsers || perDay) {
        const src = totalsSource(this.sql.dialect, this.t, tenantId, range, daily);
        const found = await this.read.rows<Record<string, unknown>>(
          `SELECT ${b} AS bucket${byEvent ? ', event' : ''}, SUM(n) AS n${perDay ? ', SUM(users) AS users, COUNT(*) AS types' : ''} FROM ${src.sql} s GROUP BY ${b}${byEvent ? ', event' : ''} ORDER BY 1 LIMIT ${MAX_SERIES_ROWS + 1}`,
          src.bind,
        );
        if (!perDay || found.every((r) => num(r.types) === 1)) {
          rows = found;
          total = { n: rows.reduce((a, r) => a + num(r.n), 0) };
        }
      }
      if (!rows) {
        const src = this.daily(tenantId, range, daily);
        rows = await this.read.rows<Record<string, unknown>>(
          `SELECT ${b} AS bucket${byEvent ? ', event' : ''}, SUM(n) AS n, COUNT(DISTINCT user_key) AS users FROM ${src.sql} s GROUP BY ${b}${byEvent ? ', event' : ''} ORDER BY 1 LIMIT ${MAX_SERIES_ROWS + 1}`,
          src.bind,
        );
      }
      if (withUsers && rows.length <= MAX_SERIES_ROWS && f.type === undefined && whole(range)) {
        // Whole days, any type: the range's users are those with a day of it in the per-user months
        // (one row per user and month), the events the rows' sum (every bucket of the range).
        total = {
          n: rows.reduce((a, r) => a + num(r.n), 0),
          users: await usersFromMonths(this.read, this.t, tenantId, range, f.events),
        };
      } else if (withUsers && rows.length <= MAX_SERIES_ROWS) {
        // Users grouped, then counted: PostgreSQL sorts for COUNT(DISTINCT …), past work_mem on disk
        // (1M events, 30 days: 1.6-2.5 s), where a hash of the range's users takes 1.0 s; SQLite alike.
        const src = this.daily(tenantId, range, daily);
        [total] = await this.read.rows<Record<string, unknown>>(
          `SELECT SUM(n) AS n, COUNT(*) AS users FROM (SELECT user_key, SUM(n) AS n FROM ${src.sql} s GROUP BY user_key) u`,
          src.bind,
        );
      }
    } else {
      const q = this.filters(tenantId, range, f);
      const b = bucketSql(this.sql.dialect, interval);
      const users = withUsers ? ', COUNT(DISTINCT distinct_id) AS users' : '';
      rows = await this.read.rows<Record<string, unknown>>(
        `SELECT ${b} AS bucket${byEvent ? ', event' : ''}, COUNT(*) AS n${users} FROM ${this.t.events} WHERE ${q.where} GROUP BY ${b}${byEvent ? ', event' : ''} ORDER BY 1 LIMIT ${MAX_SERIES_ROWS + 1}`,
        q.bind,
      );
      if (rows.length <= MAX_SERIES_ROWS)
        [total] = await this.read.rows<Record<string, unknown>>(
          `SELECT COUNT(*) AS n${users} FROM ${this.t.events} WHERE ${q.where}`,
          q.bind,
        );
    }
    if (rows.length > MAX_SERIES_ROWS)
      throw BehaviorErrors.create(
        'query_too_large',
        `More than ${MAX_SERIES_ROWS} series points; choose events (event=…), a larger interval or a shorter range.`,
      );
    const labels: string[] = [];
    for (let l = first; ; l = nextBucket(l, interval)) {
      labels.push(l);
      if (l >= last) break;
    }
    // Without users, every `users` field is left out of the answer (not zero: they were not counted).
    const u = <T extends object>(x: T, users: unknown): T & { users?: number } =>
      withUsers ? { ...x, users: num(users) } : x;
    if (byEvent) {
      const series = new Map<string, Map<string, { count: number; users: unknown }>>();
      for (const r of rows) {
        // NULL (raw events) and '' (daily sets) are both an event without a name.
        const name = (r.event as string | null) ?? '';
        if (!series.has(name)) series.set(name, new Map());
        series.get(name)!.set(String(r.bucket), { count: num(r.n), users: r.users });
      }
      return u(
        {
          total: num(total.n),
          events: [...series.entries()].map(([event, m]) => ({
            event: event || null,
            total: [...m.values()].reduce((a, v) => a + v.count, 0),
            series: labels.map((bucket) => u({ bucket, count: m.get(bucket)?.count ?? 0 }, m.get(bucket)?.users)),
          })),
        },
        total.users,
      );
    }
    const byBucket = new Map(rows.map((r) => [String(r.bucket), r]));
    return u(
      {
        total: num(total.n),
        series: labels.map((bucket) => u({ bucket, count: num(byBucket.get(bucket)?.n) }, byBucket.get(bucket)?.users)),
      },
      total.users,
    );
  }

  async topEvents(tenantId: string, range: { from: number; to: number }, type: string, limit: number) {
    if (this.useDaily && whole(range)) {
      // Whole UTC days: events from the per-day totals, distinct users from the per-day gaps (the
      // range's rows whose user did not do that event since before the range: one per user, their
      // first day in it). Both are a few rows per day and event, however many users the range has.
      const bind = [tenantId, bucketOf(range.from, 'day'), bucketOf(range.to, 'day'), type];
      const where = 'tenant_id = $1 AND day >= $2 AND day < $3 AND type = $4';
      const rows = await this.read.rows<Record<string, unknown>>(
        `SELECT t.event, t.n, g.users FROM
           (SELECT event, SUM(events) AS n FROM ${totalsOf(this.t)} WHERE ${where} GROUP BY event) t
           JOIN (SELECT event, SUM(users) AS users FROM ${gapsOf(this.t)} WHERE ${where} AND prev_day < $2 GROUP BY event) g
           ON g.event = t.event
         ORDER BY t.n DESC, t.event LIMIT ${Math.floor(limit)}`,
        bind,
      );
      return rows.map((r) => ({ event: (r.event as string) || null, count: num(r.n), users: num(r.users) }));
    }
    if (this.useDaily) {
      // A range with partial days: their users come from the raw events, so a distinct count over the rows.
      const src = this.daily(tenantId, range, { type });
      const rows = await this.read.rows<Record<string, unknown>>(
        `SELECT event, SUM(n) AS n, COUNT(DISTINCT ${bytewise(this.sql.dialect, 'user_key')}) AS users FROM ${src.sql} s GROUP BY event ORDER BY n DESC, event LIMIT ${Math.floor(limit)}`,
        src.bind,
      );
      return rows.map((r) => ({ event: (r.event as string) || null, count: num(r.n), users: num(r.users) }));
    }
    const q = this.filters(tenantId, range).eq('type', type);
    const rows = await this.read.rows<Record<string, unknown>>(
      `SELECT event, COUNT(*) AS n, COUNT(DISTINCT distinct_id) AS users FROM ${this.t.events} WHERE ${q.where} GROUP BY event ORDER BY n DESC, event LIMIT ${Math.floor(limit)}`,
      q.bind,
    );
    return rows.map((r) => ({ event: (r.event as string | null) ?? null, count: num(r.n), users: num(r.users) }));
  }

  /** Property names by how many events carry them, or (with `property`) that property's top values. */
  async topProperties(
    tenantId: string,
    range: { from: number; to: number },
    event: string | undefined,
    property: string | undefined,
    limit: number,
  ) {
    const q = this.filters(tenantId, range).eq('event', event);
    if (property) {
      const path = q.param(propertyParam(this.sql.dialect, checkProperty(property)));
      const v = propertySql(this.sql.dialect, path);
      const rows = await this.read.rows<Record<string, unknown>>(
        `SELECT ${v} AS value, COUNT(*) AS n, COUNT(DISTINCT distinct_id) AS users FROM ${this.t.events} WHERE ${q.where} AND ${v} IS NOT NULL GROUP BY ${v} ORDER BY n DESC, value LIMIT ${Math.floor(limit)}`,
        q.bind,
      );
      return { property, values: rows.map((r) => ({ value: String(r.value), count: num(r.n), users: num(r.users) })) };
    }
    const sql =
      this.sql.dialect === 'postgres'
        ? `SELECT k AS key, COUNT(*) AS n FROM ${this.t.events} e, jsonb_object_keys(CASE WHEN jsonb_typeof(e.properties) = 'object' THEN e.properties ELSE '{}'::jsonb END) AS k WHERE ${q.where} GROUP BY k ORDER BY n DESC, k LIMIT ${Math.floor(limit)}`
        : `SELECT j.key AS key, COUNT(*) AS n FROM ${this.t.events} e, json_each(CASE WHEN json_valid(e.properties) THEN e.properties ELSE '{}' END) AS j WHERE ${q.where} GROUP BY j.key ORDER BY n DESC, j.key LIMIT ${Math.floor(limit)}`;
    const rows = await this.read.rows<Record<string, unknown>>(sql, q.bind);
    return { properties: rows.map((r) => ({ property: String(r.key), count: num(r.n) })) };
  }

  async funnel(tenantId: string, range: { from: number; to: number }, steps: string[], windowMs: number) {
    // Later steps may happen up to one window after the range ends.
    const q = this.filters(tenantId, { from: range.from, to: range.to + windowMs })
      .eq('type', 'track')
      .in('event', [...new Set(steps)]);
    const acc = newFunnel(steps.length);
    const scanned = await scanByUser(this.read, this.t.events, q, this.maxScan, (_id, events) =>
      addUser(acc, events, steps, windowMs, range.from, range.to),
    );
    return { steps: funnelResult(acc, steps), window_ms: windowMs, events_scanned: scanned };
  }

  /**
   * Retention cohorts: users grouped by the bucket of their first `startEvent` (any event when not
   * given) in the range; for each later period, the share who did `returnEvent` (any event) again.
   */
  async retention(
    tenantId: string,
    range: { from: number; to: number },
    interval: Exclude<Interval, 'hour'>,
    periods: number,
    startEvent: string | undefined,
    returnEvent: string | undefined,
  ) {
    const lastCohort = bucketOf(range.to - 1, interval);
    let end = lastCohort;
    for (let i = 0; i < periods; i++) end = nextBucket(end, interval);
    const endMs = Date.parse(end.length === 7 ? `${end}-01T00:00:00Z` : `${end}T00:00:00Z`);
    const r = this.filters(tenantId, { from: range.from, to: endMs }).eq('event', returnEvent);
    const day = bucketSql(this.sql.dialect, 'day');
    const cohorts = new Map<string, { users: number; counts: number[] }>();
    const cohortAt = (label: string) => {
      let c = cohorts.get(label);
      if (!c) cohorts.set(label, (c = { users: 0, counts: new Array<number>(periods).fill(0) }));
      return c;
    };
    if (this.useDaily && whole(range)) {
      // Whole UTC days: each user's days from the per-user months (one row per user and month, the
      // days decoded here), not every user-day row of the range grouped by user in the database.
      const found = await retentionFromMonths(
        this.read,
        this.t,
        tenantId,
        range,
        endMs,
        interval,
        periods,
        startEvent,
        returnEvent,
        this.maxScan,
      );
      if (!found)
        throw BehaviorErrors.create(
          'query_too_large',
          `More than ${this.maxScan} users in the cohorts; narrow the range.`,
        );
      for (const [label, c] of found) cohorts.set(label, c);
    } else if (startEvent === returnEvent && range.to % 86_400_000 === 0) {
      // One read, counted by the database: the cohort event is the return event and the range ends
      // at a UTC midnight, so a user's first event in the range falls on their first active day
      // before the range's end, and cohorts (whole days, weeks, months) only need that day. Per user
      // and bucket, the bucket's first active day; per user, the first of those before the end; then
      // users per (first day, bucket): a few thousand rows, however many events the range holds.
      // The daily sets hold exactly those active days (a row per user, day and event name).
      let a: string;
      let bind: unknown[];
      if (this.useDaily) {
        const src = this.daily(tenantId, { from: range.from, to: endMs }, { events: returnEvent ? [returnEvent] : [] });
        const b = dayBucketSql(this.sql.dialect, interval);
        const u = bytewise(this.sql.dialect, 'user_key');
        a = `SELECT ${u} AS distinct_id, ${b} AS b, MIN(day) AS d FROM ${src.sql} s GROUP BY ${u}, ${b}`;
        bind = [...src.bind, bucketOf(range.to, 'day')];
      } else {
        const b = bucketSql(this.sql.dialect, interval);
        const u = bytewise(this.sql.dialect, 'distinct_id');
        a = `SELECT ${u} AS distinct_id, ${b} AS b, MIN(${day}) AS d FROM ${this.t.events} WHERE ${r.where} GROUP BY ${u}, ${b}`;
        bind = [...r.bind, bucketOf(range.to, 'day')];
      }
      // Each user's first day before the end as a window over their rows, not a join of `a` with
      // itself: PostgreSQL cannot estimate a CTE's rows and picked a nested loop over two scans of it
      // (minutes at 1M events). Users with no day before the end have no first and drop out, as the join did.
      const rows = await this.read.rows<Record<string, unknown>>(
        `WITH a AS (${a})
         SELECT first, b, COUNT(*) AS n FROM (
           SELECT b, MIN(CASE WHEN d < $${bind.length} THEN d END) OVER (PARTITION BY distinct_id) AS first FROM a
         ) w WHERE first IS NOT NULL GROUP BY first, b`,
        bind,
      );
      for (const row of rows) {
        const label = bucketOf(Date.parse(`${String(row.first)}T00:00:00Z`), interval);
        const p = bucketsBetween(label, String(row.b), interval);
        if (p < 0 || p >= periods) continue;
        const c = cohortAt(label);
        // Every user has exactly one row in the bucket of their first day: period 0, the cohort's size.
        if (p === 0) c.users += num(row.n);
        c.counts[p] += num(row.n);
      }
      const users = [...cohorts.values()].reduce((a, c) => a + c.users, 0);
      if (users > this.maxScan)
        throw BehaviorErrors.create(
          'query_too_large',
          `More than ${this.maxScan} users in the cohorts; narrow the range.`,
        );
    } else {
      const q = this.filters(tenantId, range).eq('event', startEvent);
      const byUser = bytewise(this.sql.dialect, 'user_key');
      // LIMIT one past the cap: the answer is refused past it, so nothing beyond it is ever read into memory.
      // From the daily sets, a user's first day: its bucket is the bucket of their first start event.
      const startSrc = this.useDaily
        ? this.daily(tenantId, range, { events: startEvent ? [startEvent] : [] })
        : undefined;
      const starts = startSrc
        ? await this.read.rows<Record<string, unknown>>(
            `SELECT ${byUser} AS distinct_id, MIN(day) AS first FROM ${startSrc.sql} s GROUP BY ${byUser} LIMIT ${this.maxScan + 1}`,
            startSrc.bind,
          )
        : await this.read.rows<Record<string, unknown>>(
            `SELECT distinct_id, MIN(${TS}) AS first FROM ${this.t.events} WHERE ${q.where} GROUP BY distinct_id LIMIT ${this.maxScan + 1}`,
            q.bind,
          );
      if (starts.length > this.maxScan)
        throw BehaviorErrors.create(
          'query_too_large',
          `More than ${this.maxScan} users in the cohorts; narrow the range.`,
        );
      const cohortOf = new Map<string, string>();
      for (const row of starts) {
        const first = startSrc ? Date.parse(`${String(row.first)}T00:00:00Z`) : Date.parse(iso(row.first));
        cohortOf.set(String(row.distinct_id), bucketOf(first, interval));
      }
      const returnSrc = this.useDaily
        ? this.daily(tenantId, { from: range.from, to: endMs }, { events: returnEvent ? [returnEvent] : [] })
        : undefined;
      const activity = returnSrc
        ? await this.read.rows<Record<string, unknown>>(
            `SELECT ${byUser} AS distinct_id, day AS d FROM ${returnSrc.sql} s GROUP BY ${byUser}, day LIMIT ${this.maxScan + 1}`,
            returnSrc.bind,
          )
        : await this.read.rows<Record<string, unknown>>(
            `SELECT distinct_id, ${day} AS d FROM ${this.t.events} WHERE ${r.where} GROUP BY distinct_id, ${day} LIMIT ${this.maxScan + 1}`,
            r.bind,
          );
      if (activity.length > this.maxScan)
        throw BehaviorErrors.create(
          'query_too_large',
          `More than ${this.maxScan} user-days to read; narrow the range.`,
        );
      const returned = new Map<string, Set<number>>();
      for (const a of activity) {
        const id = String(a.distinct_id);
        const label = cohortOf.get(id);
        if (!label) continue;
        const p = bucketsBetween(label, bucketOf(Date.parse(`${String(a.d)}T00:00:00Z`), interval), interval);
        if (p < 0 || p >= periods) continue;
        if (!returned.has(id)) returned.set(id, new Set());
        returned.get(id)!.add(p);
      }
      for (const [id, label] of cohortOf) {
        const c = cohortAt(label);
        c.users++;
        c.counts[0]++;
        for (const p of returned.get(id) ?? []) if (p > 0) c.counts[p]++;
      }
    }
    const nowBucket = bucketOf(Date.now(), interval);
    return [...cohorts.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([cohort, c]) => ({
        cohort,
        users: c.users,
        retention: c.counts
          .map((users, period) => ({ period, users, rate: Math.round((users / c.users) * 10_000) / 10_000 }))
          // Periods that have not happened yet are left out rather than shown as 0%.
          .filter((x) => bucketsBetween(cohort, nowBucket, interval) >= x.period),
      }));
  }

  async sessions(
    tenantId: string,
    range: { from: number; to: number },
    inactivityMs: number,
    userIds: string[] | undefined,
    limit: number,
  ) {
    const q = this.filters(tenantId, range);
    if (userIds?.length) q.in('distinct_id', [...new Set(userIds)]);
    const userId = userIds?.length ? userIds[0] : undefined;
    const stats = new SessionStats();
    const list: Session[] = [];
    const scanned = await scanByUser(this.read, this.t.events, q, this.maxScan, (id, events) => {
      const s = sessionsOf(id, events, inactivityMs);
      stats.add(s);
      if (userId) list.push(...s);
    });
    return {
      inactivity_ms: inactivityMs,
      ...stats.summary(),
      events_scanned: scanned,
      ...(userId ? { user_sessions: list.reverse().slice(0, limit) } : {}),
    };
  }

  /** The first of `ids` (forms of one user id, see storedIdsOf) that has a profile or events, and its profile. */
  private async findUser(
    tenantId: string,
    ids: readonly string[],
  ): Promise<{ userId: string; profile: Record<string, unknown> | undefined } | undefined> {
    for (const userId of [...new Set(ids)]) {
      const [p] = await this.read.rows<Record<string, unknown>>(
        `SELECT * FROM ${this.t.profiles} WHERE tenant_id = $1 AND user_id = $2`,
        [tenantId, userId],
      );
      if (p) return { userId, profile: p };
      const [e] = await this.read.rows(
        `SELECT id FROM ${this.t.events} WHERE tenant_id = $1 AND user_id = $2 LIMIT 1`,
        [tenantId, userId],
      );
      if (e) return { userId, profile: undefined };
    }
    return undefined;
  }

  /** WHERE clause of a user's events: by user id, and by the anonymous ids the profile links to it. */
  private userEvents(tenantId: string, userId: string, anon: string[]): Filters {
    const q = new Filters(this.sql.dialect, tenantId);
    const ids = [q.param(userId), ...anon.map((a) => q.param(a))];
    q.raw(
      `(user_id = ${ids[0]}${anon.length ? ` OR (user_id IS NULL AND anonymous_id IN (${ids.slice(1).join(', ')}))` : ''})`,
    );
    return q;
  }

  /**
   * A user's profile and events, newest first, `limit` per page: `before` (the previous page's
   * `next_before`) continues after the last event shown, by (time, row id) so equal times never
   * repeat or skip an event.
   */
  async profile(tenantId: string, ids: readonly string[], limit: number, before?: TimelineCursor) {
    const found = await this.findUser(tenantId, ids);
    if (!found) return undefined;
    const { userId, profile: p } = found;
    const anon = p ? (JSON.parse(String(p.anonymous_ids)) as string[]) : [];
    const q = this.userEvents(tenantId, userId, anon);
    if (before) {
      q.bind.push(before.ts, before.id);
      const n = q.bind.length;
      q.raw(`(${TS}, id) < (${at(this.sql.dialect, n - 1)}, $${n})`);
    }
    const events = await this.read.rows<Record<string, unknown>>(
      `SELECT id, message_id, type, event, user_id, anonymous_id, ${TS} AS ts, received_at, properties, traits, context FROM ${this.t.events} WHERE ${q.where} ORDER BY ${TS} DESC, id DESC LIMIT ${Math.floor(limit) + 1}`,
      q.bind,
    );
    const more = events.length > limit;
    const page = more ? events.slice(0, limit) : events;
    const last = page[page.length - 1];
    const parse = (v: unknown) =>
      v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
    return {
      object: 'user_profile',
      user_id: userId,
      traits: p ? parse(p.traits) : {},
      anonymous_ids: anon,
      first_seen: p ? iso(p.first_seen) : null,
      last_seen: p ? iso(p.last_seen) : null,
      event_count: p ? num(p.event_count) : null,
      next_before: more && last ? encodeCursor({ ts: iso(last.ts), id: num(last.id) }) : null,
      recent_events: page.map((e) => ({
        message_id: e.message_id,
        type: e.type,
        event: e.event ?? null,
        user_id: e.user_id ?? null,
        anonymous_id: e.anonymous_id ?? null,
        timestamp: iso(e.ts),
        received_at: iso(e.received_at),
        properties: parse(e.properties),
        traits: parse(e.traits),
        context: parse(e.context),
      })),
    };
  }

  /**
   * Deletes a user's events (by user id, and anonymous ids linked to the profile) in batches, the
   * profile, and records a tombstone so events still in the queue are dropped on arrival. `ids` are
   * the forms the id may be stored under (see storedIdsOf): every form that has data is erased;
   * when none has, every form is tombstoned, since events may still be queued under any of them.
   */
  async deleteUser(
    tenantId: string,
    ids: readonly string[],
    batchSize: number,
  ): Promise<{ userIds: string[]; events: number; profile: boolean }> {
    const forms = [...new Set(ids)];
    const present: string[] = [];
    for (const userId of forms) if (await this.findUser(tenantId, [userId])) present.push(userId);
    const now = new Date().toISOString();
    for (const userId of present.length ? present : forms) {
      await this.sql.rows(
        `INSERT INTO ${this.t.deleted} (tenant_id, user_id, deleted_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, user_id) DO UPDATE SET deleted_at = excluded.deleted_at RETURNING user_id`,
        [tenantId, userId, now],
      );
    }
    let events = 0;
    let profile = false;
    const erased: string[] = [];
    for (const userId of present) {
      const [p] = await this.sql.rows<Record<string, unknown>>(
        `SELECT anonymous_ids FROM ${this.t.profiles} WHERE tenant_id = $1 AND user_id = $2`,
        [tenantId, userId],
      );
      const anon = p ? (JSON.parse(String(p.anonymous_ids)) as string[]) : [];
      erased.push(userId, ...anon);
      for (;;) {
        const q = this.userEvents(tenantId, userId, anon);
        const rows = await this.sql.rows(
          `DELETE FROM ${this.t.events} WHERE id IN (SELECT id FROM ${this.t.events} WHERE ${q.where} LIMIT ${batchSize}) RETURNING id`,
          q.bind,
        );
        events += rows.length;
        if (rows.length < batchSize) break;
      }
      const removed = await this.sql.rows(
        `DELETE FROM ${this.t.profiles} WHERE tenant_id = $1 AND user_id = $2 RETURNING user_id`,
        [tenantId, userId],
      );
      profile ||= removed.length > 0;
    }
    // The erased ids leave the daily sets too: their rows are rebuilt from the events left (none,
    // unless an unrelated anonymous event carries the same id).
    await rebuildUsers(this.sql, this.t, tenantId, erased);
    return { userIds: present, events, profile };
  }
}
