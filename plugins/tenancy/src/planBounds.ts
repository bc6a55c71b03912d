import {
  combineBounds,
  type PlanBounds,
  type PlanBoundsService,
  type PlanBoundsSource,
  type TenantContext,
  type TenantSubjectKind,
  type TenantSubjects,
} from '@aihub/core/plugin-api';
import type { TenancyConfig } from './config';
import type { TenancyStore } from './TenancyStore';

/**
 * PLAN_BOUNDS: this plugin's `plans` config combined with the bounds other plugins contribute (the
 * rate-limit plugin's `plans`), lowest wins; per tenant also its superadmin-set `settings.bounds`. Combined bounds are computed once per plan and change
 * only when a source is added, so the request path reads a Map.
 */
export class TenancyPlanBounds implements PlanBoundsService {
  private readonly sources: PlanBoundsSource[] = [];
  private readonly cache = new Map<string, PlanBounds>();
  private readonly perTenant = new WeakMap<object, { plan: string; generation: number; bounds: PlanBounds }>();
  private generation = 0;

  constructor(private readonly plans: TenancyConfig['plans']) {}

  bounds(plan: string): PlanBounds {
    let b = this.cache.get(plan);
    if (b === undefined) {
      const own = Object.hasOwn(this.plans, plan) ? this.plans[plan] : undefined;
      b = combineBounds(own, ...this.sources.map((s) => s(plan)));
      // Plan names come from stored tenants, which only ever carry configured plans; the cap is a safety net.
      if (this.cache.size < 1000) this.cache.set(plan, b);
    }
    return b;
  }

  forTenant(tenant: Pick<TenantContext, 'plan' | 'settings'>): PlanBounds {
    const own = tenant.settings.bounds as Partial<PlanBounds> | undefined;
    if (own === undefined || own === null || typeof own !== 'object') return this.bounds(tenant.plan);
    // Keyed by the settings object, which the tenant directory shares between requests until it changes.
    let b = this.perTenant.get(tenant.settings);
    if (b === undefined || b.plan !== tenant.plan || b.generation !== this.generation) {
      b = { plan: tenant.plan, generation: this.generation, bounds: combineBounds(this.bounds(tenant.plan), own) };
      this.perTenant.set(tenant.settings, b);
    }
    return b.bounds;
  }

  contribute(source: PlanBoundsSource): void {
    this.sources.push(source);
    this.cache.clear();
    this.generation++;
  }
}

/** TENANT_SUBJECTS: teams of a tenant, and users that are its members. Keys are the auth plugin's. */
export class TenancySubjects implements TenantSubjects {
  constructor(private readonly store: () => TenancyStore) {}

  async exists(tenantId: string, kind: TenantSubjectKind, id: string): Promise<boolean | undefined> {
    if (kind === 'team') return (await this.store().teams.get(tenantId, id)) !== undefined;
    if (kind === 'user') return (await this.store().memberships.get(tenantId, id)) !== undefined;
    return undefined;
  }
}
