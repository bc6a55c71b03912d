import {
  AUDIT_LOG,
  PLAN_BOUNDS,
  TENANT_DIRECTORY,
  enforcePlanBounds,
  errors,
  requireSubject,
  validated,
  type BudgetSettings,
  type GatewayContext,
  type PluginContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { BudgetOverrides } from '../budgets/BudgetOverrides';
import type { BudgetResolver } from '../budgets/BudgetResolver';
import { hardLimit, softLimit, type BudgetLevel } from '../budgets/types';
import type { UsageConfig } from '../config';
import { microsToUsd } from '../money';
import { PERIODS, periodOf, utcDay } from '../time';
import { actorOf, authorizeTenant as authorize } from '@aihub/core/plugin-api';
import { budgetBody, budgetResponse, idParam, type BudgetBody } from './schemas';
import type { UsageReader } from './UsageReader';

type Snake = {
  daily_hard_micros: number | null;
  daily_soft_micros: number | null;
  monthly_hard_micros: number | null;
  monthly_soft_micros: number | null;
};

function toSnake(b: BudgetSettings | undefined): Snake | null {
  if (!b) return null;
  return {
    daily_hard_micros: b.dailyHardMicros ?? null,
    daily_soft_micros: b.dailySoftMicros ?? null,
    monthly_hard_micros: b.monthlyHardMicros ?? null,
    monthly_soft_micros: b.monthlySoftMicros ?? null,
  };
}

function fromBody(b: BudgetBody): BudgetSettings {
  const out: BudgetSettings = {};
  if (b.daily_hard_micros != null) out.dailyHardMicros = b.daily_hard_micros;
  if (b.daily_soft_micros != null) out.dailySoftMicros = b.daily_soft_micros;
  if (b.monthly_hard_micros != null) out.monthlyHardMicros = b.monthly_hard_micros;
  if (b.monthly_soft_micros != null) out.monthlySoftMicros = b.monthly_soft_micros;
  return out;
}

const AUDIT_TARGET: Record<BudgetLevel, string> = { tenant: 'tenant', team: 'team', key: 'api_key' };

/** `budgets.dailyHardMicros` → `daily_hard_micros`: errors name the field as the body spells it. */
const snakeField = (field: string) => field.slice('budgets.'.length).replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/**
 * GET/PUT/DELETE budgets of a tenant, a team or an API key. PUT stores an override for that level:
 * each field it sets wins over tenant settings (tenant) or key settings (key); a field it leaves out
 * inherits them (then config defaults and the plan's bound), so `{}` never lifts a budget. Values
 * above the plan's bound are refused (400 `exceeds_plan`) except for superadmins; a team or key must
 * exist in the tenant (404). DELETE removes the override.
 */
export function budgetRoutes(
  router: PluginRouter,
  ctx: PluginContext<UsageConfig>,
  overrides: BudgetOverrides,
  resolver: BudgetResolver,
  reader: UsageReader,
): void {
  const describe = budgetReport(ctx, overrides, resolver, reader);

  const mount = (
    path: string,
    level: BudgetLevel,
    targetOf: (p: Record<string, string>) => string,
    params: z.ZodType,
  ) => {
    const schemaBase = { params, tag: 'budgets' };
    router.get(
      path,
      async (c) => {
        const p = validated<unknown, Record<string, string>>(c).params;
        authorize(ctx, c, 'usage:read', p.tenantId);
        if (level !== 'tenant') await requireSubject(ctx, p.tenantId, level, targetOf(p));
        c.body = await describe(p.tenantId, level, targetOf(p));
      },
      {
        scopes: ['admin:read'],
        tags: ['admin', 'budgets'],
        summary: `The ${level} budget, where it comes from, and current spend`,
        schema: { ...schemaBase, responses: { 200: budgetResponse }, operationId: `get${level}Budget` },
      },
    );
    router.put(
      path,
      async (c) => {
        const p = validated<unknown, Record<string, string>>(c).params;
        authorize(ctx, c, 'budgets:write', p.tenantId);
        const targetId = targetOf(p);
        const budget = fromBody(c.request.body as BudgetBody);
        // The platform's one bound check (superadmins may exceed the plan), then the subject must be the tenant's.
        await enforcePlanBounds(ctx, c, p.tenantId, { budgets: budget }, { names: snakeField });
        if (level !== 'tenant') await requireSubject(ctx, p.tenantId, level, targetId);
        const before = overrides.get(p.tenantId, level, targetId);
        await overrides.put(p.tenantId, level, targetId, budget, actorOf(c));
        const after = await describe(p.tenantId, level, targetId);
        await audit(ctx, c, p.tenantId, 'budget.update', level, targetId, toSnake(before?.budget), after.override);
        c.body = after;
      },
      {
        scopes: ['admin:write'],
        tags: ['admin', 'budgets'],
        summary: `Set the ${level} budget (replaces the override; null or missing fields inherit: settings, defaults, then the plan's bound)`,
        schema: {
          ...schemaBase,
          body: budgetBody,
          responses: { 200: budgetResponse },
          operationId: `put${level}Budget`,
        },
      },
    );
    router.delete(
      path,
      async (c) => {
        const p = validated<unknown, Record<string, string>>(c).params;
        authorize(ctx, c, 'budgets:write', p.tenantId);
        const targetId = targetOf(p);
        // An override of a team or key deleted since stays removable (a stale row must not be stuck).
        if (level !== 'tenant' && !overrides.get(p.tenantId, level, targetId))
          await requireSubject(ctx, p.tenantId, level, targetId);
        const before = overrides.get(p.tenantId, level, targetId);
        await overrides.put(p.tenantId, level, targetId, null, actorOf(c));
        await audit(ctx, c, p.tenantId, 'budget.delete', level, targetId, toSnake(before?.budget), null);
        c.body = await describe(p.tenantId, level, targetId);
      },
      {
        scopes: ['admin:write'],
        tags: ['admin', 'budgets'],
        summary: `Remove the ${level} budget override (settings apply again)`,
        schema: { ...schemaBase, responses: { 200: budgetResponse }, operationId: `delete${level}Budget` },
      },
    );
  };

  const base = '/admin/v1/tenants/:tenantId';
  mount(`${base}/budgets`, 'tenant', (p) => p.tenantId, z.object({ tenantId: idParam }).strict());
  mount(
    `${base}/teams/:teamId/budgets`,
    'team',
    (p) => p.teamId,
    z.object({ tenantId: idParam, teamId: idParam }).strict(),
  );
  mount(
    `${base}/api-keys/:keyId/budgets`,
    'key',
    (p) => p.keyId,
    z.object({ tenantId: idParam, keyId: idParam }).strict(),
  );
}

/**
 * The budget report of one level (effective limits, where they come from, spend today and this month):
 * shared by the budget routes and the overview summary, so both show the same numbers.
 */
export function budgetReport(
  ctx: PluginContext<UsageConfig>,
  overrides: BudgetOverrides,
  resolver: BudgetResolver,
  reader: UsageReader,
) {
  return async (tenantId: string, level: BudgetLevel, targetId: string) => {
    const override = overrides.get(tenantId, level, targetId);
    // The tenant's own settings and plan when the tenancy plugin is loaded; else what requests showed.
    const directory = level === 'tenant' ? ctx.tryGet(TENANT_DIRECTORY) : undefined;
    const tenant = directory ? await directory.get(tenantId) : undefined;
    if (directory && !tenant) throw errors.notFound(`Tenant ${tenantId} does not exist.`, 'tenant_not_found');
    const settings = tenant ? tenant.settings.budgets : resolver.seenSettings(tenantId, level, targetId);
    const effective = resolver.effective(
      tenantId,
      level,
      targetId,
      settings,
      tenant ? ctx.tryGet(PLAN_BOUNDS)?.forTenant(tenant).budgets : undefined,
    );
    const now = ctx.clock.now();
    const spend: Record<string, unknown> = {};
    for (const period of PERIODS) {
      const p = periodOf(period, now);
      const spent = await reader.spend(
        tenantId,
        level,
        targetId,
        period === 'daily' ? p.key : utcDay(p.start),
        utcDay(now),
      );
      const hard = effective ? hardLimit(effective.budget, period) : undefined;
      const soft = effective ? softLimit(effective.budget, period) : undefined;
      spend[period] = {
        period_key: p.key,
        spent_micros: spent,
        spent_usd: microsToUsd(spent),
        hard_limit_micros: hard ?? null,
        soft_limit_micros: soft ?? null,
        remaining_micros: hard === undefined ? null : Math.max(0, hard - spent),
        resets_at: new Date(p.end).toISOString(),
      };
    }
    return {
      object: 'budget',
      level,
      tenant_id: tenantId,
      target_id: targetId,
      source: effective?.source ?? 'none',
      effective: toSnake(effective?.budget),
      override: toSnake(override?.budget),
      settings: toSnake(settings),
      spend,
    };
  };
}

async function audit(
  ctx: PluginContext,
  c: GatewayContext,
  tenantId: string,
  action: string,
  level: BudgetLevel,
  targetId: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  const log = ctx.tryGet(AUDIT_LOG);
  const entry = { tenantId, action, targetType: `${AUDIT_TARGET[level]}_budget`, targetId, before, after };
  if (log) await log.record(c, entry);
  else ctx.logger.info(`audit: ${action}`, { audit: entry });
}
