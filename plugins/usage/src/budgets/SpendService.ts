import { PLAN_BOUNDS, TENANT_DIRECTORY, type PluginContext } from '@aihub/core/plugin-api';
import type { UsageRow } from '../records';
import type { WriteResult } from '../writer/UsageWriter';
import type { BudgetAlerts } from './BudgetAlerts';
import type { BudgetResolver } from './BudgetResolver';
import { SpendCounters, spendDeltas } from './SpendCounters';

/**
 * After a batch is committed: adds its cost to the spend counters and checks the budgets the
 * counters belong to for soft/hard alerts. Counter failures never fail the batch (the rows are
 * already durable); they only make the next reconciliation come sooner.
 */
export class SpendService {
  /** Set when an increment failed: the counters are behind until the next reconciliation. */
  stale = false;

  constructor(
    private readonly ctx: PluginContext,
    private readonly counters: SpendCounters,
    private readonly resolver: BudgetResolver,
    private readonly alerts: BudgetAlerts,
  ) {}

  async apply(result: WriteResult): Promise<void> {
    const entries: { row: UsageRow; sign: 1 | -1 }[] = result.inserted.map((row) => ({ row, sign: 1 as const }));
    for (const [oldRow, newRow] of result.replaced) entries.push({ row: oldRow, sign: -1 }, { row: newRow, sign: 1 });
    const deltas = spendDeltas(entries);
    if (!deltas.size) return;
    await this.learnTenantSettings(new Set([...deltas.values()].map((d) => d.key.tenantId)));
    let values: Awaited<ReturnType<SpendCounters['add']>>;
    try {
      values = await this.counters.add(deltas, this.ctx.clock.now());
    } catch (err) {
      this.stale = true;
      this.ctx.logger.warn('could not update spend counters; they will be reconciled from the database', { err });
      return;
    }
    for (const v of values) {
      if (v.delta <= 0) continue;
      const target = this.resolver.effective(v.key.tenantId, v.key.level, v.key.targetId);
      if (target) this.alerts.check(target, v.key.period, v.value, deltas.get(SpendCounters.key(v.key))!.atMs);
    }
  }

  /** Tenant budgets live in tenant settings: read them through the tenant directory when tenancy is loaded. */
  private async learnTenantSettings(tenantIds: Set<string>): Promise<void> {
    const directory = this.ctx.tryGet(TENANT_DIRECTORY);
    if (!directory) return;
    await Promise.all(
      [...tenantIds].map(async (id) => {
        try {
          const tenant = await directory.get(id);
          if (tenant)
            this.resolver.remember(
              id,
              tenant.settings.budgets,
              undefined,
              undefined,
              true,
              this.ctx.tryGet(PLAN_BOUNDS)?.forTenant(tenant).budgets,
            );
        } catch {
          // Alerts for this tenant wait for the next batch; metering is unaffected.
        }
      }),
    );
  }
}
