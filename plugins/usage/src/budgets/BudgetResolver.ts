import type { BudgetSettings } from '@aihub/core/plugin-api';
import type { BudgetOverrides } from './BudgetOverrides';
import { hasAnyLimit, type BudgetLevel, type BudgetSource, type BudgetTarget } from './types';

/** Largest number of tenants/keys whose settings budgets are remembered for the consumer's alerts. */
const SEEN_CAP = 50_000;

const FIELDS = ['dailyHardMicros', 'dailySoftMicros', 'monthlyHardMicros', 'monthlySoftMicros'] as const;
/** Most specific first: the first source that sets a field decides it. */
const SOURCES: readonly BudgetSource[] = ['override', 'settings', 'default', 'plan'];

/**
 * Decides which budgets apply to a request, field by field: for each level (tenant, team, key) a
 * value set through the API wins; a field it leaves out inherits from tenant settings (tenancy) or
 * the key's own budgets (auth); for the tenant, then config defaults, then the plan's bound. So an
 * empty override removes nothing: a budget is unlimited only where every source, the plan included,
 * is. Pure in-memory: the request path does no I/O here.
 */
export class BudgetResolver {
  /** Budgets seen on requests (tenant settings, key budgets) so the consumer can check soft limits. */
  private readonly seen = new Map<string, BudgetSettings>();
  /** Each tenant's budget bounds (PLAN_BOUNDS) as last seen, for the consumer's checks (which have no request). */
  private readonly bounds = new Map<string, BudgetSettings>();
  /** Config defaults capped by a plan's bound, per bound object. */
  private readonly capped = new WeakMap<BudgetSettings, BudgetSettings>();

  constructor(
    private readonly overrides: BudgetOverrides,
    private readonly defaults: BudgetSettings | undefined,
  ) {}

  resolve(
    tenantId: string,
    teamId: string | undefined | null,
    keyId: string | undefined | null,
    tenantSettings: BudgetSettings | undefined,
    keySettings: BudgetSettings | undefined,
    planBound?: BudgetSettings,
  ): BudgetTarget[] {
    const out: BudgetTarget[] = [];
    planBound ??= this.bounds.get(tenantId);
    const tenant = this.pick(
      tenantId,
      'tenant',
      tenantId,
      tenantSettings ?? this.seen.get(`tenant\u0000${tenantId}`),
      this.defaults,
      planBound,
    );
    if (tenant) out.push(tenant);
    if (teamId) {
      const team = this.pick(tenantId, 'team', teamId, undefined, undefined, undefined);
      if (team) out.push(team);
    }
    if (keyId) {
      const key = this.pick(
        tenantId,
        'key',
        keyId,
        keySettings ?? this.seen.get(`key\u0000${tenantId}\u0000${keyId}`),
        undefined,
        undefined,
      );
      if (key) out.push(key);
    }
    return out;
  }

  /** One level's effective budget, or undefined when it sets no limit. */
  effective(
    tenantId: string,
    level: BudgetLevel,
    targetId: string,
    settings?: BudgetSettings,
    planBound?: BudgetSettings,
  ): BudgetTarget | undefined {
    const fromSeen =
      level === 'tenant'
        ? this.seen.get(`tenant\u0000${tenantId}`)
        : level === 'key'
          ? this.seen.get(`key\u0000${tenantId}\u0000${targetId}`)
          : undefined;
    if (level !== 'tenant') return this.pick(tenantId, level, targetId, settings ?? fromSeen, undefined, undefined);
    return this.pick(
      tenantId,
      level,
      targetId,
      settings ?? fromSeen,
      this.defaults,
      planBound ?? this.bounds.get(tenantId),
    );
  }

  /**
   * Remembers settings budgets (cheap: only when they exist) and the tenant's budget bounds from a
   * request; `known` says the tenant context came with it (its settings are then the whole truth).
   */
  remember(
    tenantId: string,
    tenantSettings: BudgetSettings | undefined,
    keyId: string | undefined,
    keySettings: BudgetSettings | undefined,
    known = false,
    planBound?: BudgetSettings,
  ): void {
    if (this.seen.size > SEEN_CAP) this.seen.clear();
    if (tenantSettings) this.seen.set(`tenant\u0000${tenantId}`, tenantSettings);
    // A known tenant (its plan came with it) without settings budgets has none: forget older ones.
    else if (known) this.seen.delete(`tenant\u0000${tenantId}`);
    if (keyId && keySettings) this.seen.set(`key\u0000${tenantId}\u0000${keyId}`, keySettings);
    if (planBound === undefined) {
      if (known) this.bounds.delete(tenantId);
    } else if (this.bounds.get(tenantId) !== planBound) {
      if (this.bounds.size > SEEN_CAP) this.bounds.clear();
      this.bounds.set(tenantId, planBound);
    }
  }

  /** Settings budgets seen for a level (for the admin API's "settings" field). */
  seenSettings(tenantId: string, level: BudgetLevel, targetId: string): BudgetSettings | undefined {
    if (level === 'tenant') return this.seen.get(`tenant\u0000${tenantId}`);
    if (level === 'key') return this.seen.get(`key\u0000${tenantId}\u0000${targetId}`);
    return undefined;
  }

  /**
   * Config defaults capped by the plan's bound: the plan bounds what a tenant gets unless someone set
   * more for it (a superadmin may); a config default is no one's choice for this tenant. Cached per
   * bound object (PLAN_BOUNDS returns one per plan), so the request path allocates nothing.
   */
  private cappedDefaults(
    defaults: BudgetSettings | undefined,
    planBound: BudgetSettings | undefined,
  ): BudgetSettings | undefined {
    if (defaults === undefined || planBound === undefined) return defaults;
    let capped = this.capped.get(planBound);
    if (capped === undefined) {
      capped = { ...defaults };
      for (const f of FIELDS) {
        const b = planBound[f];
        if (b !== undefined && capped[f] !== undefined && capped[f] > b) capped[f] = b;
      }
      this.capped.set(planBound, capped);
    }
    return capped;
  }

  private pick(
    tenantId: string,
    level: BudgetLevel,
    targetId: string,
    settings: BudgetSettings | undefined,
    defaults: BudgetSettings | undefined,
    planBound: BudgetSettings | undefined,
  ): BudgetTarget | undefined {
    const override = this.overrides.get(tenantId, level, targetId)?.budget;
    let budget: BudgetSettings | undefined;
    let source: BudgetSource | undefined;
    let merged = false;
    for (let i = 0; i < SOURCES.length; i++) {
      const layer =
        i === 0 ? override : i === 1 ? settings : i === 2 ? this.cappedDefaults(defaults, planBound) : planBound;
      if (!hasAnyLimit(layer)) continue;
      if (budget === undefined) {
        // The common case (one source) shares the source's object: nothing allocated per request.
        budget = layer;
        source = SOURCES[i];
        continue;
      }
      for (const f of FIELDS) {
        if (budget[f] === undefined && layer[f] !== undefined) {
          if (!merged) {
            budget = { ...budget };
            merged = true;
          }
          budget[f] = layer[f];
        }
      }
    }
    return budget === undefined ? undefined : { level, tenantId, targetId, budget, source: source! };
  }
}
