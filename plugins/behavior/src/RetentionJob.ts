import type { PluginContext } from '@aihub/core/plugin-api';
import type { BehaviorConfig } from './config';
import type { BehaviorMetrics } from './metrics';
import { at, TS } from './analytics/dialect';
import type { Sql } from '@aihub/core/plugin-api';
import type { TenantSettingsCache } from './TenantSettingsCache';
import { purgeDaily } from './analytics/daily';

/** Tombstones of deleted users are kept this long: longer than any event can wait in the queue. */
const TOMBSTONE_DAYS = 30;

/**
 * Deletes events older than each tenant's retention (settings.retentionDays, else config default) on
 * an interval, in batches so no statement holds locks for long. One instance runs it at a time (a
 * lock in the store). The timer is unref'd: it never keeps the process alive.
 */
export class RetentionJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly ctx: PluginContext<BehaviorConfig>,
    private readonly sql: Sql,
    private readonly t: {
      events: string;
      profiles: string;
      deleted: string;
      tenants: string;
      daily: string;
      totals?: string;
      gaps?: string;
      months?: string;
    },
    private readonly settings: TenantSettingsCache,
    private readonly metrics: BehaviorMetrics,
  ) {}

  start(): void {
    const every = this.ctx.config.retention.intervalMs;
    this.timer = setInterval(
      () => void this.run().catch((err) => this.ctx.logger.warn('behavior retention job failed; will retry', { err })),
      every,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every tenant; returns how many events were deleted. */
  run(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const lockMs = Math.max(1000, Math.min(this.ctx.config.retention.intervalMs, 600_000));
    if (!(await this.ctx.store.set('retention-lock', '1', { nx: true, ttlMs: lockMs }))) return 0;
    try {
      const tenants = await this.sql.rows<{ tenant_id: string }>(`SELECT tenant_id FROM ${this.t.tenants}`);
      let total = 0;
      for (const { tenant_id: tenantId } of tenants) {
        const s = await this.settings.load(tenantId);
        const days =
          typeof s?.retentionDays === 'number' && s.retentionDays > 0
            ? s.retentionDays
            : this.ctx.config.retention.defaultDays;
        if (!days) continue;
        const cutoff = new Date(this.ctx.clock.now() - days * 86_400_000).toISOString();
        const n = await this.purge(tenantId, cutoff);
        if (n)
          this.ctx.logger.info('deleted expired behavior events', {
            tenant_id: tenantId,
            events: n,
            retention_days: days,
          });
        total += n;
      }
      const old = new Date(this.ctx.clock.now() - TOMBSTONE_DAYS * 86_400_000).toISOString();
      await this.sql.rows(
        `DELETE FROM ${this.t.deleted} WHERE deleted_at < ${at(this.sql.dialect, 1)} RETURNING user_id`,
        [old],
      );
      return total;
    } finally {
      await this.ctx.store.del('retention-lock').catch(() => {});
    }
  }

  private async purge(tenantId: string, cutoff: string): Promise<number> {
    const size = this.ctx.config.retention.batchSize;
    let total = 0;
    for (;;) {
      const rows = await this.sql.rows(
        `DELETE FROM ${this.t.events} WHERE id IN (SELECT id FROM ${this.t.events} WHERE tenant_id = $1 AND ${TS} < ${at(this.sql.dialect, 2)} LIMIT ${size}) RETURNING id`,
        [tenantId, cutoff],
      );
      total += rows.length;
      this.metrics.retentionDeleted.inc(rows.length);
      if (rows.length < size) break;
      // Yield between batches so the request path and the consumer get the database too.
      await new Promise((r) => setImmediate(r));
    }
    // The daily user sets follow: days before the cutoff's go, the cutoff's own day is rebuilt from
    // the events left (plus any event a writer added before the cutoff meanwhile).
    const late = await purgeDaily(this.sql, this.t, tenantId, cutoff, size);
    total += late;
    this.metrics.retentionDeleted.inc(late);
    // Profiles of users not seen within the retention period go too.
    await this.sql.rows(
      `DELETE FROM ${this.t.profiles} WHERE tenant_id = $1 AND last_seen < ${at(this.sql.dialect, 2)} RETURNING user_id`,
      [tenantId, cutoff],
    );
    return total;
  }
}
