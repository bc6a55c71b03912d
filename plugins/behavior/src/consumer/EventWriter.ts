import type { Transaction } from 'sequelize';
import type { StoredEvent } from '../ingest/events';
import { bulkColumns, bulkSource, iso, num, valuesList, type BulkColumn, type Sql } from '@aihub/core/plugin-api';
import { addToDaily, DAILY_LOCK_CLASS, totalsOf } from '../analytics/daily';
import { lockTenants } from '../analytics/tenantLocks';

const EVENT_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['message_id', 'text'],
  ['type', 'text'],
  ['event', 'text'],
  ['user_id', 'text'],
  ['anonymous_id', 'text'],
  ['distinct_id', 'text'],
  ['group_id', 'text'],
  ['previous_id', 'text'],
  ['timestamp', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['properties', 'jsonb'],
  ['traits', 'jsonb'],
  ['context', 'jsonb'],
];
const PROFILE_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['user_id', 'text'],
  ['traits', 'text'],
  ['anonymous_ids', 'text'],
  ['first_seen', 'timestamptz'],
  ['last_seen', 'timestamptz'],
  ['event_count', 'bigint'],
  ['updated_at', 'timestamptz'],
];
const KEY_COLUMNS: readonly BulkColumn[] = [
  ['tenant_id', 'text'],
  ['user_id', 'text'],
];
/** Rows per statement: each statement's rows go as one parameter (core's bulkSource), so this only bounds its size. */
const ROWS_PER_STATEMENT = 5000;
const MAX_ANON_IDS = 50;

export interface Tables {
  events: string;
  profiles: string;
  deleted: string;
  tenants: string;
  /** Daily user sets (analytics/daily.ts), kept in the events' transaction. */
  daily: string;
  /** Per-day totals, kept with the daily sets (derived from `daily` when not given). */
  totals?: string;
  /** Per-day gaps (analytics/gaps.ts), kept with the daily sets (derived from `daily` when not given). */
  gaps?: string;
  /** Per-user months (analytics/userMonths.ts), kept with the daily sets (derived from `daily` when not given). */
  months?: string;
}

export interface WriteOutcome {
  inserted: number;
  duplicates: number;
  droppedDeleted: number;
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

interface ProfileDelta {
  tenantId: string;
  userId: string;
  traits: Record<string, unknown>;
  anonymousIds: Set<string>;
  first: string;
  last: string;
  count: number;
}

/**
 * Writes events in one transaction per batch, idempotently: ON CONFLICT (tenant_id, message_id) DO
 * NOTHING, and profiles updated only from the events actually inserted, so a redelivered batch
 * changes nothing. Profiles are locked (PostgreSQL) in a fixed order before their traits are merged.
 */
export class EventWriter {
  private readonly knownTenants = new Set<string>();

  constructor(
    private readonly sql: Sql,
    private readonly t: Tables,
  ) {}

  async write(events: StoredEvent[]): Promise<WriteOutcome> {
    // The same event twice in one batch (a client retry that landed twice) is written once.
    const unique = [...new Map(events.map((e) => [`${e.tenantId}\u0000${e.messageId}`, e])).values()];
    const inBatch = events.length - unique.length;
    const kept = await this.withoutDeletedUsers(unique);
    const droppedDeleted = unique.length - kept.length;
    if (!kept.length) return { inserted: 0, duplicates: inBatch, droppedDeleted };
    kept.sort((a, b) =>
      a.tenantId < b.tenantId
        ? -1
        : a.tenantId > b.tenantId
          ? 1
          : a.messageId < b.messageId
            ? -1
            : a.messageId > b.messageId
              ? 1
              : 0,
    );
    const newTenants = [...new Set(kept.map((e) => e.tenantId))].filter((id) => !this.knownTenants.has(id));
    const inserted = await this.sql.transaction(async (tx) => {
      // Shared: batches write side by side; an erasure or retention rebuild of the tenant's daily
      // sets waits for them (and they for it), so no event lands between its delete and its rebuild.
      // In key order across batches (lockTenants): two batches taking shared locks in opposite orders,
      // each queued behind a waiting erasure's exclusive one, would deadlock.
      await lockTenants(
        this.sql,
        tx,
        DAILY_LOCK_CLASS,
        kept.map((e) => e.tenantId),
        'shared',
      );
      const insertedKeys = new Set<string>();
      const pg = this.sql.dialect === 'postgres';
      for (let i = 0; i < kept.length; i += ROWS_PER_STATEMENT) {
        const chunk = kept.slice(i, i + ROWS_PER_STATEMENT);
        const bind: unknown[] = [];
        // jsonb columns take objects as they are on PostgreSQL (a missing key is SQL NULL; a JSON null
        // would be stored as jsonb 'null'); SQLite stores their JSON text.
        const doc = (v: Record<string, unknown> | null) => (pg ? (v ?? undefined) : json(v));
        const source = bulkSource(
          this.sql.dialect,
          EVENT_COLUMNS,
          chunk.map((e) => ({
            tenant_id: e.tenantId,
            message_id: e.messageId,
            type: e.type,
            event: e.event,
            user_id: e.userId,
            anonymous_id: e.anonymousId,
            distinct_id: e.userId ?? e.anonymousId,
            group_id: e.groupId,
            previous_id: e.previousId,
            timestamp: e.timestamp,
            received_at: e.receivedAt,
            properties: doc(e.properties),
            traits: doc(e.traits),
            context: doc(e.context),
          })),
          bind,
        );
        const rows = await this.sql.rows<{ tenant_id: string; message_id: string }>(
          `INSERT INTO ${this.t.events} (${bulkColumns(EVENT_COLUMNS)}) ${source}
           ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING tenant_id, message_id`,
          bind,
          tx,
        );
        for (const r of rows) insertedKeys.add(`${r.tenant_id}\u0000${r.message_id}`);
      }
      const fresh = kept.filter((e) => insertedKeys.has(`${e.tenantId}\u0000${e.messageId}`));
      await addToDaily(this.sql, this.t.daily, fresh, tx, totalsOf(this.t), this.t.gaps, this.t.months);
      await this.updateProfiles(fresh, tx);
      if (newTenants.length) {
        await this.sql.rows(
          `INSERT INTO ${this.t.tenants} (tenant_id, first_seen) VALUES ${valuesList(newTenants.length, 2)} ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id`,
          newTenants.flatMap((id) => [id, new Date().toISOString()]),
          tx,
        );
      }
      return fresh.length;
    });
    for (const id of newTenants) this.knownTenants.add(id);
    return { inserted, duplicates: kept.length - inserted + inBatch, droppedDeleted };
  }

  /** Events of users deleted after the event was received are dropped (they sat in the queue during the deletion). */
  private async withoutDeletedUsers(events: StoredEvent[]): Promise<StoredEvent[]> {
    const pairs = new Map<string, { tenant_id: string; user_id: string }>();
    for (const e of events)
      if (e.userId) pairs.set(`${e.tenantId}\u0000${e.userId}`, { tenant_id: e.tenantId, user_id: e.userId });
    if (!pairs.size) return events;
    const deleted = new Map<string, string>();
    const list = [...pairs.values()];
    for (let i = 0; i < list.length; i += 10_000) {
      const bind: unknown[] = [];
      const keys = bulkSource(this.sql.dialect, KEY_COLUMNS, list.slice(i, i + 10_000), bind);
      const rows = await this.sql.rows<{ tenant_id: string; user_id: string; deleted_at: unknown }>(
        `SELECT tenant_id, user_id, deleted_at FROM ${this.t.deleted} WHERE (tenant_id, user_id) IN (${keys})`,
        bind,
      );
      for (const r of rows) deleted.set(`${r.tenant_id}\u0000${r.user_id}`, iso(r.deleted_at));
    }
    if (!deleted.size) return events;
    return events.filter((e) => {
      const at = e.userId ? deleted.get(`${e.tenantId}\u0000${e.userId}`) : undefined;
      return !at || e.receivedAt > at;
    });
  }

  private async updateProfiles(events: StoredEvent[], tx: Transaction): Promise<void> {
    const deltas = new Map<string, ProfileDelta>();
    const ordered = events
      .filter((e) => e.userId)
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    for (const e of ordered) {
      const id = `${e.tenantId}\u0000${e.userId}`;
      let d = deltas.get(id);
      if (!d) {
        d = {
          tenantId: e.tenantId,
          userId: e.userId!,
          traits: {},
          anonymousIds: new Set(),
          first: e.timestamp,
          last: e.timestamp,
          count: 0,
        };
        deltas.set(id, d);
      }
      d.count++;
      if (e.timestamp < d.first) d.first = e.timestamp;
      if (e.timestamp > d.last) d.last = e.timestamp;
      if (e.anonymousId) d.anonymousIds.add(e.anonymousId);
      const ctxTraits =
        e.context && typeof e.context.traits === 'object' && e.context.traits && !Array.isArray(e.context.traits)
          ? (e.context.traits as Record<string, unknown>)
          : undefined;
      if (ctxTraits) Object.assign(d.traits, ctxTraits);
      if (e.traits) Object.assign(d.traits, e.traits);
    }
    if (!deltas.size) return;
    const list = [...deltas.values()].sort((a, b) =>
      a.tenantId < b.tenantId
        ? -1
        : a.tenantId > b.tenantId
          ? 1
          : a.userId < b.userId
            ? -1
            : a.userId > b.userId
              ? 1
              : 0,
    );
    const now = new Date().toISOString();
    if (this.sql.dialect === 'postgres') {
      // One atomic upsert: the merge happens in SQL on the locked row (jsonb || is the same shallow
      // merge as Object.assign), so concurrent consumers never lose each other's traits.
      const p = this.t.profiles;
      for (let i = 0; i < list.length; i += ROWS_PER_STATEMENT) {
        const bind: unknown[] = [];
        const source = bulkSource(
          'postgres',
          PROFILE_COLUMNS,
          list.slice(i, i + ROWS_PER_STATEMENT).map((d) => ({
            tenant_id: d.tenantId,
            user_id: d.userId,
            traits: JSON.stringify(d.traits),
            anonymous_ids: JSON.stringify([...d.anonymousIds].slice(0, MAX_ANON_IDS)),
            first_seen: d.first,
            last_seen: d.last,
            event_count: d.count,
            updated_at: now,
          })),
          bind,
        );
        await this.sql.rows(
          `INSERT INTO ${p} (${bulkColumns(PROFILE_COLUMNS)}) ${source}
           ON CONFLICT (tenant_id, user_id) DO UPDATE SET
             traits = (${p}.traits::jsonb || excluded.traits::jsonb)::text,
             anonymous_ids = CASE WHEN excluded.anonymous_ids = '[]' THEN ${p}.anonymous_ids ELSE (
               SELECT COALESCE(jsonb_agg(v), '[]'::jsonb)::text FROM (
                 SELECT DISTINCT v FROM jsonb_array_elements_text(${p}.anonymous_ids::jsonb || excluded.anonymous_ids::jsonb) AS v LIMIT ${MAX_ANON_IDS}) s) END,
             first_seen = LEAST(${p}.first_seen, excluded.first_seen),
             last_seen = GREATEST(${p}.last_seen, excluded.last_seen),
             event_count = ${p}.event_count + excluded.event_count,
             updated_at = excluded.updated_at
           RETURNING user_id`,
          bind,
          tx,
        );
      }
      return;
    }
    // SQLite: one writer at a time (transactions are serialized), so read-merge-write is safe.
    for (let i = 0; i < list.length; i += ROWS_PER_STATEMENT) {
      const chunk = list.slice(i, i + ROWS_PER_STATEMENT);
      const keyBind: unknown[] = [];
      const keys = bulkSource(
        'sqlite',
        KEY_COLUMNS,
        chunk.map((d) => ({ tenant_id: d.tenantId, user_id: d.userId })),
        keyBind,
      );
      const current = await this.sql.rows<Record<string, unknown>>(
        `SELECT tenant_id, user_id, traits, anonymous_ids, first_seen, last_seen, event_count FROM ${this.t.profiles} WHERE (tenant_id, user_id) IN (${keys})`,
        keyBind,
        tx,
      );
      const byId = new Map(current.map((r) => [`${r.tenant_id}\u0000${r.user_id}`, r]));
      const merged = chunk.map((d) => {
        const cur = byId.get(`${d.tenantId}\u0000${d.userId}`);
        const traits = { ...(cur ? (JSON.parse(String(cur.traits)) as Record<string, unknown>) : {}), ...d.traits };
        const anon = new Set<string>(cur ? (JSON.parse(String(cur.anonymous_ids)) as string[]) : []);
        for (const a of d.anonymousIds) if (anon.size < MAX_ANON_IDS) anon.add(a);
        const first = cur && iso(cur.first_seen) < d.first ? iso(cur.first_seen) : d.first;
        const last = cur && iso(cur.last_seen) > d.last ? iso(cur.last_seen) : d.last;
        return {
          tenant_id: d.tenantId,
          user_id: d.userId,
          traits: JSON.stringify(traits),
          anonymous_ids: JSON.stringify([...anon]),
          first_seen: first,
          last_seen: last,
          event_count: num(cur?.event_count) + d.count,
          updated_at: now,
        };
      });
      const bind: unknown[] = [];
      const source = bulkSource('sqlite', PROFILE_COLUMNS, merged, bind);
      await this.sql.rows(
        `INSERT INTO ${this.t.profiles} (${bulkColumns(PROFILE_COLUMNS)}) ${source}
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET traits = excluded.traits, anonymous_ids = excluded.anonymous_ids,
           first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = excluded.event_count, updated_at = excluded.updated_at
         RETURNING user_id`,
        bind,
        tx,
      );
    }
  }
}
