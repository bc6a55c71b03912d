/**
 * Plan bounds: the one check every place that sets a limit or a budget goes through (tenant
 * settings, budget overrides, rate-limit policies), and the lookups it needs. The tenancy plugin
 * provides PLAN_BOUNDS (its `plans` config) and TENANT_SUBJECTS (teams, members); the auth plugin
 * provides CREDENTIAL_SUBJECTS (API keys, OAuth clients). Other plugins add their own bounds with
 * `contribute` instead of importing each other.
 */
import type { Context } from 'koa';
import { errors } from '../errors/GatewayError';
import type { PluginContext } from '../kernel/types';
import { createToken } from '../kernel/serviceTokens';
import { PrincipalKey, TENANT_DIRECTORY, type BudgetSettings, type LimitSettings, type TenantContext } from './index';
import { CoreErrors } from '../errors/coreErrors';

/** Upper bounds of one plan; an absent field is unbounded. */
export interface PlanBounds {
  limits: LimitSettings;
  budgets: BudgetSettings;
}

/** What a change sets, in the settings' field names (camelCase). Absent or undefined: not set. */
export interface BoundedValues {
  limits?: LimitSettings;
  budgets?: BudgetSettings;
}

/** A source of bounds by plan name (the tenancy plugin's plans, the rate-limit plugin's plans, …). */
export type PlanBoundsSource = (plan: string) => Partial<PlanBounds> | undefined;

/**
 * The platform's plans. Provided by the tenancy plugin; every source's bounds combine field by field
 * and the lowest wins, so a plan means the same thing on every path.
 */
export interface PlanBoundsService {
  /** The combined bounds of a plan (sync, from config: usable on the request path). Unknown plan: `{}` bounds. */
  bounds(plan: string): PlanBounds;
  /**
   * The bounds of one tenant: its plan's, tightened by the tenant's `settings.bounds` (which only a
   * superadmin may set), lowest wins. Sync and cached per settings object: usable on the request path.
   */
  forTenant(tenant: Pick<TenantContext, 'plan' | 'settings'>): PlanBounds;
  /** Adds a source of bounds; effective for every later `bounds` call. Call it from `register` or `start`. */
  contribute(source: PlanBoundsSource): void;
}
export const PLAN_BOUNDS = createToken<PlanBoundsService>('plan-bounds');

/** Things of a tenant a limit or budget can be set for. `key` covers API keys and OAuth clients. */
export type TenantSubjectKind = 'team' | 'user' | 'key';

/**
 * Whether a subject exists in a tenant. Resolves `undefined` for a kind this provider does not own,
 * so a caller can ask every provider.
 */
export interface TenantSubjects {
  exists(tenantId: string, kind: TenantSubjectKind, id: string): Promise<boolean | undefined>;
  /**
   * The display names of those of `ids` that are subjects of this kind in the tenant, in one batched
   * tenant-scoped read (a page of a list at a time). An id of another tenant, or one that no longer
   * exists, is absent, so the caller shows the id. Optional: a provider without names leaves it out.
   */
  names?(tenantId: string, kind: TenantSubjectKind, ids: readonly string[]): Promise<Map<string, string>>;
}
/** Teams and members (a `user` is a member of the tenant). Provided by the tenancy plugin. */
export const TENANT_SUBJECTS = createToken<TenantSubjects>('tenant-subjects');
/** API keys and OAuth clients (`key`). Provided by the auth plugin. */
export const CREDENTIAL_SUBJECTS = createToken<TenantSubjects>('credential-subjects');

const LIMIT_FIELDS = ['requestsPerMinute', 'tokensPerMinute', 'concurrentRequests'] as const;
const BUDGET_FIELDS = ['dailyHardMicros', 'dailySoftMicros', 'monthlyHardMicros', 'monthlySoftMicros'] as const;

/** Field-wise minimum of bounds (undefined = unbounded); the combination rule of every source. */
export function combineBounds(...parts: (Partial<PlanBounds> | undefined)[]): PlanBounds {
  const out: PlanBounds = { limits: {}, budgets: {} };
  for (const p of parts) {
    if (!p) continue;
    for (const f of LIMIT_FIELDS) out.limits[f] = lower(out.limits[f], p.limits?.[f]);
    for (const f of BUDGET_FIELDS) out.budgets[f] = lower(out.budgets[f], p.budgets?.[f]);
  }
  for (const f of LIMIT_FIELDS) if (out.limits[f] === undefined) delete out.limits[f];
  for (const f of BUDGET_FIELDS) if (out.budgets[f] === undefined) delete out.budgets[f];
  return out;
}

function lower(a: number | undefined, b: number | undefined): number | undefined {
  if (typeof b !== 'number' || !Number.isFinite(b)) return a;
  return a === undefined ? b : Math.min(a, b);
}

/** One value above its plan's bound. `field` is `limits.<name>` or `budgets.<name>`. */
export interface PlanExcess {
  field: string;
  value: number;
  bound: number;
}

/** Every value of `values` above its bound, in field order (pure). */
export function planExcess(values: BoundedValues, bounds: PlanBounds): PlanExcess[] {
  const out: PlanExcess[] = [];
  for (const f of LIMIT_FIELDS) {
    const v = values.limits?.[f];
    const b = bounds.limits[f];
    if (typeof v === 'number' && b !== undefined && v > b) out.push({ field: `limits.${f}`, value: v, bound: b });
  }
  for (const f of BUDGET_FIELDS) {
    const v = values.budgets?.[f];
    const b = bounds.budgets[f];
    if (typeof v === 'number' && b !== undefined && v > b) out.push({ field: `budgets.${f}`, value: v, bound: b });
  }
  return out;
}

/**
 * Throws 400 `exceeds_plan` when a value is above the plan's bound, naming each field (as the caller
 * wrote it: `names` maps `budgets.dailyHardMicros` → `daily_hard_micros` for a snake_case body) and
 * its bound. Superadmins may exceed the plan (docs/rbac.md), so they are never refused here.
 */
export function assertWithinPlan(
  c: Context,
  values: BoundedValues,
  bounds: PlanBounds,
  plan: string,
  names?: (field: string) => string,
): void {
  if (PrincipalKey.get(c)?.superadmin === true) return;
  const excess = planExcess(values, bounds);
  if (excess.length === 0) return;
  const name = names ?? ((f: string) => f);
  const what = excess.map((e) => `${name(e.field)} is ${e.value}, above the bound of ${e.bound}`).join('; ');
  throw CoreErrors.create(
    'exceeds_plan',
    `${what} in plan "${plan}"; lower it or ask the platform operator for another plan.`,
    {
      param: name(excess[0].field),
      details: { plan, exceeded: excess.map((e) => ({ field: name(e.field), value: e.value, bound: e.bound })) },
    },
  );
}

/**
 * The bound check for admin routes of any plugin: looks up the tenant (404 `tenant_not_found` when
 * a tenant directory is loaded and it has no such tenant), combines the tenant's bounds
 * (PLAN_BOUNDS `forTenant`: its plan and its superadmin-set `settings.bounds`) with `extra` bounds
 * (a plugin's own plan config when the tenancy plugin is absent) and applies `assertWithinPlan`.
 * Resolves the tenant's plan (undefined without a tenant directory).
 */
export async function enforcePlanBounds(
  ctx: PluginContext,
  c: Context,
  tenantId: string,
  values: BoundedValues,
  opts: { extra?: PlanBoundsSource; names?: (field: string) => string } = {},
): Promise<string | undefined> {
  const directory = ctx.tryGet(TENANT_DIRECTORY);
  if (!directory) return undefined;
  const tenant = await directory.get(tenantId);
  if (!tenant) throw errors.notFound(`Tenant ${tenantId} does not exist.`, 'tenant_not_found');
  const bounds = combineBounds(ctx.tryGet(PLAN_BOUNDS)?.forTenant(tenant), opts.extra?.(tenant.plan));
  assertWithinPlan(c, values, bounds, tenant.plan, opts.names);
  return tenant.plan;
}

const SUBJECT_NOUN: Record<TenantSubjectKind, { noun: string; code: string; fix: string }> = {
  team: {
    noun: 'team',
    code: 'team_not_found',
    fix: 'use the id of one of its teams (GET /admin/v1/tenants/{id}/teams)',
  },
  user: {
    noun: 'member',
    code: 'member_not_found',
    fix: 'use the user id of one of its members (GET /admin/v1/tenants/{id}/members)',
  },
  key: {
    noun: 'API key or OAuth client',
    code: 'key_not_found',
    fix: 'use the id of one of its API keys or OAuth clients',
  },
};

/**
 * 404 (`team_not_found`, `member_not_found`, `key_not_found`) unless the subject exists in the
 * tenant. Asks TENANT_SUBJECTS and CREDENTIAL_SUBJECTS; when no loaded plugin owns the kind (a
 * gateway without tenancy or auth) nothing can be checked and the subject is accepted.
 */
export async function requireSubject(
  ctx: PluginContext,
  tenantId: string,
  kind: TenantSubjectKind,
  id: string,
): Promise<void> {
  for (const token of [TENANT_SUBJECTS, CREDENTIAL_SUBJECTS]) {
    const found = await ctx.tryGet(token)?.exists(tenantId, kind, id);
    if (found === true) return;
    if (found === false) {
      const s = SUBJECT_NOUN[kind];
      throw errors.notFound(`Tenant ${tenantId} has no ${s.noun} ${id}; ${s.fix}.`, s.code);
    }
  }
}
