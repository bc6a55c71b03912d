import {
  PLAN_BOUNDS,
  PrincipalKey,
  TenantKey,
  type HookDefinition,
  type PlanBoundsService,
  type PluginContext,
} from '@aihub/core/plugin-api';
import { budgetExceeded } from './budgets/BudgetExceeded';
import type { BudgetAlerts } from './budgets/BudgetAlerts';
import type { BudgetResolver } from './budgets/BudgetResolver';
import { SpendCounters } from './budgets/SpendCounters';
import { hardLimit, softLimit, type BudgetTarget } from './budgets/types';
import type { UsageConfig } from './config';
import type { UsageMetrics } from './metrics';
import { PERIODS, periodOf, type Period } from './time';
import { refusalHook } from './refusals';
import { isInvokeRoute, writeAheadHook } from './writeAhead';
import { UsageErrors } from './errors';

/**
 * `request.limit` on AI routes: refuses the request before any upstream call once a hard budget
 * (tenant, team or key; daily or monthly) is spent. Budgets come from memory; current spend from
 * one MGET of the counters in the store — and no store access at all when no budget applies.
 */
export function usageHooks(
  ctx: PluginContext<UsageConfig>,
  resolver: BudgetResolver,
  counters: SpendCounters,
  alerts: BudgetAlerts,
  metrics: UsageMetrics,
): HookDefinition[] {
  const cfg = ctx.config.budgets;
  // PLAN_BOUNDS (tenancy), looked up once on first use: the budget where none is set.
  let bounds: PlanBoundsService | null | undefined;
  const planBounds = () => (bounds ??= ctx.tryGet(PLAN_BOUNDS) ?? null);
  type Check = { target: BudgetTarget; period: Period; key: string };
  const enforce = async (checks: Check[], now: number, next: () => Promise<unknown>): Promise<unknown> => {
    let spent: number[];
    try {
      spent = await counters.read(checks.map((ch) => ch.key));
    } catch (err) {
      if (cfg.failOpen) {
        ctx.logger.warn('spend counters unreadable; budgets not enforced for this request (failOpen)', { err });
        return next();
      }
      throw UsageErrors.create('budget_unavailable', 'Budgets cannot be checked right now; retry shortly.', {
        cause: err,
      });
    }
    for (let i = 0; i < checks.length; i++) {
      const { target, period } = checks[i];
      alerts.check(target, period, spent[i], now);
      const hard = hardLimit(target.budget, period);
      if (cfg.enforce && hard !== undefined && spent[i] >= hard) {
        metrics.rejections.inc({ level: target.level, period });
        throw budgetExceeded(target.level, target.targetId, period, hard, spent[i], periodOf(period, now).end, now);
      }
    }
    return next();
  };
  return [
    {
      name: 'budget',
      phase: 'request.limit',
      order: 100,
      after: ['rate-limit'],
      appliesTo: isInvokeRoute,
      // Not async: most requests have no budget (or no counter to read) and pass straight on
      // without a promise of their own; only a counter read goes through enforce().
      handle(c, next) {
        const principal = PrincipalKey.get(c);
        const tenant = TenantKey.get(c);
        const tenantId = tenant?.id ?? principal?.tenantId;
        if (!tenantId) return next();
        const tenantBudgets = tenant?.settings.budgets;
        const planBound = tenant ? planBounds()?.forTenant(tenant).budgets : undefined;
        if (tenantBudgets || principal?.budgets || tenant)
          resolver.remember(
            tenantId,
            tenantBudgets,
            principal?.keyId,
            principal?.budgets,
            tenant !== undefined,
            planBound,
          );
        const targets = resolver.resolve(
          tenantId,
          principal?.teamId,
          principal?.keyId,
          tenantBudgets,
          principal?.budgets,
          planBound,
        );
        if (!targets.length) return next();
        const now = ctx.clock.now();
        const checks: Check[] = [];
        for (const target of targets) {
          for (const period of PERIODS) {
            if (hardLimit(target.budget, period) === undefined && softLimit(target.budget, period) === undefined)
              continue;
            checks.push({
              target,
              period,
              key: SpendCounters.key({
                level: target.level,
                tenantId,
                targetId: target.targetId,
                period,
                periodKey: periodOf(period, now).key,
              }),
            });
          }
        }
        if (!checks.length) return next();
        return enforce(checks, now, next);
      },
    },
    writeAheadHook(ctx, metrics),
    refusalHook(ctx, metrics),
  ];
}
