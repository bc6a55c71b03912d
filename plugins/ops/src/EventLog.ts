import { randomBytes } from 'node:crypto';
import { errors, instantParam, iso, type Sql } from '@aihub/core/plugin-api';

export type Outcome = 'acted' | 'dry_run' | 'capped' | 'failed';

export interface OpsEvent {
  id: string;
  created_at: string;
  rule: string;
  action: string;
  target: string | null;
  outcome: Outcome;
  reason: string;
  signal: string | null;
  value: number | null;
  instance: string;
  error: string | null;
  /**
   * The ai plugin's catalog revision recording the action's control change (drain, restore, weight,
   * breaker, fallback switch) — or, when the state already was so, the newest revision, which had it
   * so. Null for actions that change no routing, dry runs, capped and failed decisions.
   */
  revision?: number | null;
}

export interface EventQuery {
  rule?: string;
  action?: string;
  outcome?: string;
  limit: number;
  cursor?: string;
}

/** Time-ordered ids (newest sort last), so a page is stable under concurrent inserts. */
function newId(at: number): string {
  return `ope_${at.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/** The audit trail of the engine: one row per decision (acted, dry run, capped, failed), paged newest first. */
export class EventLog {
  constructor(
    private readonly sql: Sql,
    private readonly table: string,
  ) {}

  async record(e: Omit<OpsEvent, 'id' | 'created_at'>, at = Date.now()): Promise<OpsEvent> {
    const row: OpsEvent = {
      id: newId(at),
      created_at: new Date(at).toISOString(),
      ...e,
      reason: e.reason.slice(0, 2000),
      error: e.error?.slice(0, 2000) ?? null,
      revision: e.revision ?? null,
    };
    await this.sql.rows(
      `INSERT INTO ${this.table} (id, created_at, rule, action, target, outcome, reason, signal, value, instance, error, revision) VALUES ($1, ${instantParam(this.sql.dialect, 2)}, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        row.id,
        row.created_at,
        row.rule,
        row.action,
        row.target,
        row.outcome,
        row.reason,
        row.signal,
        row.value,
        row.instance,
        row.error,
        row.revision,
      ],
    );
    return row;
  }

  async list(q: EventQuery): Promise<{ data: OpsEvent[]; next_cursor: string | null }> {
    const where: string[] = [];
    const bind: unknown[] = [];
    for (const col of ['rule', 'action', 'outcome'] as const) {
      const v = q[col];
      if (v !== undefined) {
        bind.push(v);
        where.push(`${col} = $${bind.length}`);
      }
    }
    if (q.cursor) {
      const id = Buffer.from(q.cursor, 'base64url').toString('utf8');
      if (!/^ope_[0-9a-z]{21}$/.test(id))
        throw errors.badRequest(
          'cursor is not one this API returned; start again without it.',
          'invalid_cursor',
          'cursor',
        );
      bind.push(id);
      where.push(`id < $${bind.length}`);
    }
    bind.push(q.limit + 1);
    const rows = await this.sql.rows(
      `SELECT * FROM ${this.table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${bind.length}`,
      bind,
    );
    const data = rows.slice(0, q.limit).map((r): OpsEvent => ({
      id: String(r.id),
      created_at: iso(r.created_at as string | Date),
      rule: String(r.rule),
      action: String(r.action),
      target: (r.target as string | null) ?? null,
      outcome: r.outcome as Outcome,
      reason: String(r.reason),
      signal: (r.signal as string | null) ?? null,
      value: r.value === null || r.value === undefined ? null : Number(r.value),
      instance: String(r.instance),
      error: (r.error as string | null) ?? null,
      revision: r.revision === null || r.revision === undefined ? null : Number(r.revision),
    }));
    return {
      data,
      next_cursor: rows.length > q.limit ? Buffer.from(data[data.length - 1].id).toString('base64url') : null,
    };
  }

  /** Deletes events older than the retention (leader only, once an hour). */
  async purge(olderThanMs: number): Promise<void> {
    await this.sql.rows(`DELETE FROM ${this.table} WHERE created_at < ${instantParam(this.sql.dialect, 1)}`, [
      new Date(olderThanMs).toISOString(),
    ]);
  }
}
