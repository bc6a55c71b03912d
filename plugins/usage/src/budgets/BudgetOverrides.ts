import type { BudgetSettings } from '@aihub/core/plugin-api';
import type { Logger, Store } from '../types';
import { iso, numOrNull, type Sql } from '@aihub/core/plugin-api';
import type { BudgetLevel } from './types';

export interface BudgetOverride {
  tenantId: string;
  level: BudgetLevel;
  targetId: string;
  budget: BudgetSettings;
  updatedAt: string;
  updatedBy: string | null;
}

const CHANNEL = 'budgets.changed';

function id(tenantId: string, level: BudgetLevel, targetId: string): string {
  return `${tenantId}\u0000${level}\u0000${targetId}`;
}

function budgetOf(row: Record<string, unknown>): BudgetSettings {
  const b: BudgetSettings = {};
  const d = numOrNull(row.daily_hard_micros);
  const ds = numOrNull(row.daily_soft_micros);
  const m = numOrNull(row.monthly_hard_micros);
  const ms = numOrNull(row.monthly_soft_micros);
  if (d !== null) b.dailyHardMicros = d;
  if (ds !== null) b.dailySoftMicros = ds;
  if (m !== null) b.monthlyHardMicros = m;
  if (ms !== null) b.monthlySoftMicros = ms;
  return b;
}

/**
 * Budgets set through the admin API (table usage_budgets), held in memory so the request path reads
 * them without I/O. Every instance reloads on a pub/sub message when one changes, and periodically
 * in case a message was missed.
 */
export class BudgetOverrides {
  private map = new Map<string, BudgetOverride>();
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;
  private loading?: Promise<void>;

  constructor(
    private readonly sql: Sql,
    private readonly table: string,
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  async start(refreshMs: number): Promise<void> {
    await this.reload();
    this.timer = setInterval(
      () => void this.reload().catch((err) => this.logger.warn('could not reload budget overrides', { err })),
      refreshMs,
    );
    this.timer.unref();
    try {
      this.unsubscribe = await this.store.subscribe(CHANNEL, () => void this.reload().catch(() => {}));
    } catch (err) {
      this.logger.warn('budget change notifications unavailable; overrides refresh on a timer only', { err });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unsubscribe?.().catch(() => {});
  }

  get(tenantId: string, level: BudgetLevel, targetId: string): BudgetOverride | undefined {
    return this.map.get(id(tenantId, level, targetId));
  }

  /** Every override (for the consumer's alert checks and reconciliation). */
  all(): BudgetOverride[] {
    return [...this.map.values()];
  }

  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.sql.rows(`SELECT * FROM ${this.table}`);
        const next = new Map<string, BudgetOverride>();
        for (const r of rows) {
          const o: BudgetOverride = {
            tenantId: String(r.tenant_id),
            level: String(r.level) as BudgetLevel,
            targetId: String(r.target_id),
            budget: budgetOf(r),
            updatedAt: iso(r.updated_at),
            updatedBy: (r.updated_by as string | null) ?? null,
          };
          next.set(id(o.tenantId, o.level, o.targetId), o);
        }
        this.map = next;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /** Replaces (PUT) or removes (null) an override, then tells every instance. */
  async put(
    tenantId: string,
    level: BudgetLevel,
    targetId: string,
    budget: BudgetSettings | null,
    updatedBy: string | null,
  ): Promise<BudgetOverride | undefined> {
    const now = new Date().toISOString();
    await this.sql.transaction(async (t) => {
      await this.sql.rows(
        `DELETE FROM ${this.table} WHERE tenant_id = $1 AND level = $2 AND target_id = $3 RETURNING tenant_id`,
        [tenantId, level, targetId],
        t,
      );
      if (budget) {
        await this.sql.rows(
          `INSERT INTO ${this.table} (tenant_id, level, target_id, daily_hard_micros, daily_soft_micros, monthly_hard_micros, monthly_soft_micros, updated_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING tenant_id`,
          [
            tenantId,
            level,
            targetId,
            budget.dailyHardMicros ?? null,
            budget.dailySoftMicros ?? null,
            budget.monthlyHardMicros ?? null,
            budget.monthlySoftMicros ?? null,
            now,
            updatedBy,
          ],
          t,
        );
      }
    });
    const key = id(tenantId, level, targetId);
    if (budget) this.map.set(key, { tenantId, level, targetId, budget, updatedAt: now, updatedBy });
    else this.map.delete(key);
    await this.store.publish(CHANNEL, key).catch((err) =>
      this.logger.warn('could not announce a budget change; other instances pick it up on their next refresh', {
        err,
      }),
    );
    return this.map.get(key);
  }
}
