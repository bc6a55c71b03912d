import type { Logger } from '../types';
import { microsToDisplay } from '../money';
import type { UsageMetrics } from '../metrics';
import type { Sql } from '@aihub/core/plugin-api';
import { periodOf, type Period } from '../time';
import { hardLimit, softLimit, type BudgetTarget } from './types';
import { newAlertId, type BudgetAlertEvent, type WebhookSender } from './webhook';

const FIRED_CAP = 100_000;

/**
 * Fires each budget alert once per budget, period and kind: `soft` when spend reaches the soft
 * limit, `hard` when it reaches the hard limit. "Once" holds across instances and restarts through
 * a unique key in usage_budget_alerts; an in-memory set keeps repeat checks free of I/O.
 */
export class BudgetAlerts {
  private readonly fired = new Set<string>();

  constructor(
    private readonly sql: Sql,
    private readonly table: string,
    private readonly webhook: WebhookSender,
    private readonly logger: Logger,
    private readonly metrics: UsageMetrics,
  ) {}

  /** Checks one budget against its current spend; fires in the background when a limit is reached. */
  check(target: BudgetTarget, period: Period, spentMicros: number, atMs: number): void {
    for (const kind of ['soft', 'hard'] as const) {
      const limit = kind === 'soft' ? softLimit(target.budget, period) : hardLimit(target.budget, period);
      if (limit === undefined || spentMicros < limit) continue;
      const p = periodOf(period, atMs);
      const id = `${target.tenantId}\u0000${target.level}\u0000${target.targetId}\u0000${period}\u0000${p.key}\u0000${kind}`;
      if (this.fired.has(id)) continue;
      if (this.fired.size > FIRED_CAP) this.fired.clear();
      this.fired.add(id);
      void this.fire(id, target, period, p, kind, limit, spentMicros);
    }
  }

  private async fire(
    id: string,
    target: BudgetTarget,
    period: Period,
    p: { key: string; end: number },
    kind: 'soft' | 'hard',
    limit: number,
    spent: number,
  ): Promise<void> {
    const event: BudgetAlertEvent = {
      id: newAlertId(),
      type: 'budget.alert',
      kind,
      level: target.level,
      tenant_id: target.tenantId,
      target_id: target.targetId,
      period,
      period_key: p.key,
      limit_micros: limit,
      spent_micros: spent,
      resets_at: new Date(p.end).toISOString(),
      created_at: new Date().toISOString(),
    };
    try {
      const rows = await this.sql.rows(
        `INSERT INTO ${this.table} (id, tenant_id, level, target_id, period, period_key, kind, limit_micros, spent_micros, created_at, webhook_state, attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0)
         ON CONFLICT (tenant_id, level, target_id, period, period_key, kind) DO NOTHING RETURNING id`,
        [
          event.id,
          event.tenant_id,
          event.level,
          event.target_id,
          period,
          p.key,
          kind,
          limit,
          spent,
          event.created_at,
          this.webhook.enabled ? 'pending' : 'none',
        ],
      );
      if (!rows.length) return; // Another instance (or an earlier run) fired it already.
    } catch (err) {
      // Not recorded: forget it so the next check tries again.
      this.fired.delete(id);
      this.logger.warn('could not record a budget alert; will retry', { err });
      return;
    }
    this.metrics.alerts.inc({ level: target.level, period, kind });
    this.logger.warn(
      `budget ${kind} limit reached: ${target.level} ${target.targetId} spent ${microsToDisplay(spent)} of its ${period} ${kind} limit ${microsToDisplay(limit)}`,
      {
        tenant_id: target.tenantId,
        budget_level: target.level,
        budget_target: target.targetId,
        budget_period: period,
        budget_kind: kind,
        limit_micros: limit,
        spent_micros: spent,
        alert_id: event.id,
      },
    );
    this.webhook.send(event);
  }
}
