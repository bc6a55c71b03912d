import type { Transaction } from 'sequelize';
import type { StoredEvent } from '../ingest/events';
import { iso, num, valuesList, type Sql } from '../sql';

const EVENT_COLUMNS = ['tenant_id', 'message_id', 'type', 'event', 'user_id', 'anonymous_id', 'distinct_id', 'group_id', 'previous_id', '"timestamp"', 'received_at', 'properties', 'traits', 'context'];
const ROWS_PER_INSERT = 500;
const MAX_ANON_IDS = 50;

export interface Tables {
  events: string;
  profiles: string;
  deleted: string;
  tenants: string;
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
    kept.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));
    const newTenants = [...new Set(kept.map((e) => e.tenantId))].filter((id) => !this.knownTenants.has(id));
    const inserted = await this.sql.transaction(async (tx) => {
      const insertedKeys = new Set<string>();
      for (let i = 0; i < kept.length; i += ROWS_PER_INSERT) {
        const chunk = kept.slice(i, i + ROWS_PER_INSERT);
        const bind: unknown[] = [];
        for (const e of chunk) {
          bind.push(e.tenantId, e.messageId, e.type, e.event, e.userId, e.anonymousId, e.userId ?? e.anonymousId, e.groupId, e.previousId, e.timestamp, e.receivedAt, json(e.properties), json(e.traits), json(e.context));
        }
        const rows = await this.sql.rows<{ tenant_id: string; message_id: string }>(
          `INSERT INTO ${this.t.events} (${EVENT_COLUMNS.join(', ')}) VALUES ${valuesList(chunk.length, EVENT_COLUMNS.length)}
           ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING tenant_id, message_id`,
          bind,
          tx,
        );
        for (const r of rows) insertedKeys.add(`${r.tenant_id}\u0000${r.message_id}`);
      }
      const fresh = kept.filter((e) => insertedKeys.has(`${e.tenantId}\u0000${e.messageId}`));
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
    const users = [...new Set(events.filter((e) => e.userId).map((e) => e.userId!))];
    if (!users.length) return events;
    const tenants = [...new Set(events.map((e) => e.tenantId))];
    const deleted = new Map<string, string>();
    for (let i = 0; i < users.length; i += 1000) {
      const chunk = users.slice(i, i + 1000);
      // IN × IN over-selects across tenants a little; the exact pair is checked below.
      const rows = await this.sql.rows<{ tenant_id: string; user_id: string; deleted_at: unknown }>(
        `SELECT tenant_id, user_id, deleted_at FROM ${this.t.deleted} WHERE tenant_id IN (${tenants.map((_, j) => `$${j + 1}`).join(', ')}) AND user_id IN (${chunk.map((_, j) => `$${tenants.length + j + 1}`).join(', ')})`,
        [...tenants, ...chunk],
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
    const ordered = events.filter((e) => e.userId).sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    for (const e of ordered) {
      const id = `${e.tenantId}\u0000${e.userId}`;
      let d = deltas.get(id);
      if (!d) {
        d = { tenantId: e.tenantId, userId: e.userId!, traits: {}, anonymousIds: new Set(), first: e.timestamp, last: e.timestamp, count: 0 };
        deltas.set(id, d);
      }
      d.count++;
      if (e.timestamp < d.first) d.first = e.timestamp;
      if (e.timestamp > d.last) d.last = e.timestamp;
      if (e.anonymousId) d.anonymousIds.add(e.anonymousId);
      const ctxTraits = e.context && typeof e.context.traits === 'object' && e.context.traits && !Array.isArray(e.context.traits) ? (e.context.traits as Record<string, unknown>) : undefined;
      if (ctxTraits) Object.assign(d.traits, ctxTraits);
      if (e.traits) Object.assign(d.traits, e.traits);
    }
    if (!deltas.size) return;
    const list = [...deltas.values()].sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    const now = new Date().toISOString();
    for (let i = 0; i < list.length; i += 300) {
      const chunk = list.slice(i, i + 300);
      // 1. Make sure every row exists, so 2. can lock it (a concurrent first insert waits here).
      await this.sql.rows(
        `INSERT INTO ${this.t.profiles} (tenant_id, user_id, traits, anonymous_ids, first_seen, last_seen, event_count, updated_at)
         VALUES ${valuesList(chunk.length, 8)} ON CONFLICT (tenant_id, user_id) DO NOTHING RETURNING user_id`,
        chunk.flatMap((d) => [d.tenantId, d.userId, '{}', '[]', d.first, d.last, 0, now]),
        tx,
      );
      // 2. Read (and on PostgreSQL lock, in key order) the current profiles, merge, write back.
      const cond = chunk.map((_, j) => `(tenant_id = $${2 * j + 1} AND user_id = $${2 * j + 2})`).join(' OR ');
      const lock = this.sql.dialect === 'postgres' ? ' ORDER BY tenant_id, user_id FOR UPDATE' : '';
      const current = await this.sql.rows<Record<string, unknown>>(
        `SELECT tenant_id, user_id, traits, anonymous_ids, first_seen, last_seen, event_count FROM ${this.t.profiles} WHERE ${cond}${lock}`,
        chunk.flatMap((d) => [d.tenantId, d.userId]),
        tx,
      );
      const byId = new Map(current.map((r) => [`${r.tenant_id}\u0000${r.user_id}`, r]));
      const bind: unknown[] = [];
      for (const d of chunk) {
        const cur = byId.get(`${d.tenantId}\u0000${d.userId}`);
        const traits = { ...(cur ? (JSON.parse(String(cur.traits)) as Record<string, unknown>) : {}), ...d.traits };
        const anon = new Set<string>(cur ? (JSON.parse(String(cur.anonymous_ids)) as string[]) : []);
        for (const a of d.anonymousIds) if (anon.size < MAX_ANON_IDS) anon.add(a);
        const first = cur && num(cur.event_count) > 0 && iso(cur.first_seen) < d.first ? iso(cur.first_seen) : d.first;
        const last = cur && num(cur.event_count) > 0 && iso(cur.last_seen) > d.last ? iso(cur.last_seen) : d.last;
        bind.push(d.tenantId, d.userId, JSON.stringify(traits), JSON.stringify([...anon]), first, last, num(cur?.event_count) + d.count, now);
      }
      await this.sql.rows(
        `INSERT INTO ${this.t.profiles} (tenant_id, user_id, traits, anonymous_ids, first_seen, last_seen, event_count, updated_at)
         VALUES ${valuesList(chunk.length, 8)}
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET traits = excluded.traits, anonymous_ids = excluded.anonymous_ids,
           first_seen = excluded.first_seen, last_seen = excluded.last_seen, event_count = excluded.event_count, updated_at = excluded.updated_at
         RETURNING user_id`,
        bind,
        tx,
      );
    }
  }
}
