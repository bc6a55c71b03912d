import type { Logger, Store } from '../types';
import type { UsageMetrics } from '../metrics';
import type { Mutex } from '../mutex';
import { num, type Sql } from '@aihub/core/plugin-api';
import { periodOf, utcDay } from '../time';
import { SpendCounters, type SpendKey } from './SpendCounters';
import { saturatingAdd, saturatingSum } from '../writer/saturate';

const MARKER = 'spend:reconciled';
const LOCK = 'spend:reconcile-lock';

/**
 * Recomputes the spend counters from usage_daily (the truth) — at start, periodically, and as soon
 * as the counters look lost (the marker key is gone: Redis flushed or restarted, or a fresh
 * in-memory store). It runs under the same mutex as batch writes, so within one instance no
 * increment can fall between the read and the reset; across instances a later run fixes any skew.
 */
export class Reconciler {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private lockTtlMs = 5000;

  constructor(
    private readonly sql: Sql,
    private readonly dailyTable: string,
    private readonly store: Store,
    private readonly counters: SpendCounters,
    private readonly mutex: Mutex,
    private readonly logger: Logger,
    private readonly metrics: UsageMetrics,
    private readonly now: () => number,
  ) {}

  start(intervalMs: number, checkMs: number): void {
    this.lockTtlMs = Math.max(100, Math.min(5000, Math.floor(intervalMs / 2)));
    const every = (ms: number, fn: () => Promise<void>) => {
      const t = setInterval(
        () => void fn().catch((err) => this.logger.warn('spend reconciliation failed', { err })),
        ms,
      );
      t.unref();
      this.timers.push(t);
    };
    every(intervalMs, () => this.run('interval', true));
    every(checkMs, async () => {
      if ((await this.store.get(MARKER)) === null) await this.run('counters_lost', false);
    });
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Resets every counter of the current day and month from the database. */
  run(reason: string, useLock: boolean): Promise<void> {
    this.running ??= (async () => {
      try {
        if (useLock) {
          // Several instances: one reconciles per interval.
          const got = await this.store.set(LOCK, '1', { nx: true, ttlMs: this.lockTtlMs });
          if (!got) return;
        }
        await this.mutex.run(() => this.reconcile());
        this.metrics.reconciles.inc({ reason });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async reconcile(): Promise<void> {
    const now = this.now();
    const today = utcDay(now);
    const month = periodOf('monthly', now);
    // Sums saturate at ROLLUP_MAX, per row and across a tenant's keys: a SUM past BIGINT failed the
    // whole reconcile on SQLite, and a counter past 2^63 − 1 would make Redis refuse every INCRBY.
    const d = this.sql.dialect;
    const rows = await this.sql.rows(
      `SELECT tenant_id, team_id, key_id, ${saturatingSum(d, 'CASE WHEN day = $1 THEN cost_micros ELSE 0 END')} AS daily, ${saturatingSum(d, 'cost_micros')} AS monthly
       FROM ${this.dailyTable} WHERE day >= $2 AND day <= $1 AND tenant_id <> '' GROUP BY tenant_id, team_id, key_id`,
      [today, utcDay(month.start)],
    );
    const totals = new Map<string, { key: SpendKey; micros: number }>();
    const add = (key: SpendKey, micros: number) => {
      const id = SpendCounters.key(key);
      const cur = totals.get(id);
      if (cur) cur.micros = saturatingAdd(cur.micros, micros);
      else totals.set(id, { key, micros });
    };
    for (const r of rows) {
      const tenantId = String(r.tenant_id);
      const teamId = String(r.team_id ?? '');
      const keyId = String(r.key_id ?? '');
      for (const [period, micros, periodKey] of [
        ['daily', num(r.daily), today],
        ['monthly', num(r.monthly), month.key],
      ] as const) {
        add({ level: 'tenant', tenantId, targetId: tenantId, period, periodKey }, micros);
        if (teamId) add({ level: 'team', tenantId, targetId: teamId, period, periodKey }, micros);
        if (keyId) add({ level: 'key', tenantId, targetId: keyId, period, periodKey }, micros);
      }
    }
    const work = [...totals.values()];
    for (let i = 0; i < work.length; i += 1000) {
      await Promise.all(work.slice(i, i + 1000).map((w) => this.counters.set(w.key, w.micros, now, now)));
    }
    await this.store.set(MARKER, String(now), { ttlMs: 2 * 86_400_000 });
    this.logger.debug('spend counters reconciled', { counters: work.length });
  }
}
