import type { LimitSettings } from '@aihub/core/plugin-api';
import type { ConfigPolicy, Limits, RateLimitConfig } from './config';
import type { TenantPolicies } from './PolicyStore';

export type Dimension = 'requests' | 'tokens' | 'concurrency';
export type Level = 'key' | 'user' | 'team' | 'tenant' | 'model' | 'plan' | 'global';

export const DIMENSIONS: readonly Dimension[] = ['requests', 'tokens', 'concurrency'];
const FIELD: Record<Dimension, keyof Limits> = {
  requests: 'requestsPerMinute',
  tokens: 'tokensPerMinute',
  concurrency: 'concurrentRequests',
};

/** The policy that decides one dimension of a request. */
export interface Selected {
  level: Level;
  limit: number;
  /** Counter identity: what the limit is counted per (`<tenant>`, `<tenant>:k:<key id>`, …). */
  subject: string;
}

export interface Resolution {
  requests?: Selected;
  tokens?: Selected;
  concurrency?: Selected;
  /** Whether a store outage refuses the request (model, then plan, then global failMode). */
  failClosed: boolean;
}

/** Who and what a request is, as far as limits care. */
export interface Subject {
  /** Tenant id, or `_` for requests without one (they share one bucket). */
  tenantId: string;
  plan?: string;
  keyId?: string;
  userId?: string;
  teamId?: string;
  model?: string;
  /** Per-key limits the auth plugin put on the Principal. */
  principalLimits?: LimitSettings;
  /** Tenant settings limits the tenancy plugin put on the TenantContext. */
  tenantLimits?: LimitSettings;
  /**
   * The plan's bounds from PLAN_BOUNDS (the tenancy plugin's plans combined with this plugin's):
   * the limit when no level sets one, so an unset or emptied policy inherits the plan, never
   * "unlimited" unless the plan is unbounded.
   */
  planLimits?: LimitSettings;
  /** Rows of `rate_limit_policies` for the tenant. */
  stored: TenantPolicies;
}

function valueOf(limits: LimitSettings | undefined, field: keyof Limits): number | undefined {
  const v = limits?.[field];
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/**
 * Picks, per dimension, the most specific level that sets a value:
 * key > user > team > tenant > model > global. At the key and tenant levels a stored policy (admin
 * API) wins over the Principal's / tenant settings' value. The tenant's plan in this plugin's config
 * then caps the value (level becomes `plan` when it lowered it); that plan, else the PLAN_BOUNDS
 * bound (`planLimits`), supplies it when no level set one.
 * Pure and allocation-light: it runs on every limited request.
 */
export function resolve(config: RateLimitConfig, s: Subject): Resolution {
  const t = s.tenantId;
  const stored = s.stored;
  const keyPolicy = s.keyId !== undefined && stored.size ? stored.get(`key:${s.keyId}`) : undefined;
  const userPolicy = s.userId !== undefined && stored.size ? stored.get(`user:${s.userId}`) : undefined;
  const teamPolicy = s.teamId !== undefined && stored.size ? stored.get(`team:${s.teamId}`) : undefined;
  const tenantPolicy = stored.size ? stored.get(`tenant:${t}`) : undefined;
  const modelPolicy: ConfigPolicy | undefined = s.model !== undefined ? config.models[s.model] : undefined;
  const planPolicy: ConfigPolicy | undefined = s.plan !== undefined ? config.plans[s.plan] : undefined;
  const out: Resolution = {
    failClosed: (modelPolicy?.failMode ?? planPolicy?.failMode ?? config.failMode) === 'closed',
  };
  for (const dim of DIMENSIONS) {
    const f = FIELD[dim];
    let sel: Selected | undefined;
    let v: number | undefined;
    if (s.keyId !== undefined && (v = valueOf(keyPolicy, f) ?? valueOf(s.principalLimits, f)) !== undefined)
      sel = { level: 'key', limit: v, subject: `${t}:k:${s.keyId}` };
    else if (s.userId !== undefined && (v = valueOf(userPolicy, f)) !== undefined)
      sel = { level: 'user', limit: v, subject: `${t}:u:${s.userId}` };
    else if (s.teamId !== undefined && (v = valueOf(teamPolicy, f)) !== undefined)
      sel = { level: 'team', limit: v, subject: `${t}:g:${s.teamId}` };
    else if ((v = valueOf(tenantPolicy, f) ?? valueOf(s.tenantLimits, f)) !== undefined)
      sel = { level: 'tenant', limit: v, subject: t };
    else if ((v = valueOf(modelPolicy, f)) !== undefined)
      sel = { level: 'model', limit: v, subject: `${t}:m:${s.model}` };
    else if ((v = valueOf(config.defaults, f)) !== undefined) sel = { level: 'global', limit: v, subject: t };
    const bound = valueOf(planPolicy, f);
    if (bound !== undefined) {
      if (sel === undefined) sel = { level: 'plan', limit: bound, subject: t };
      else if (bound < sel.limit) sel = { level: 'plan', limit: bound, subject: sel.subject };
    }
    // PLAN_BOUNDS are what tenant admins may set (superadmins may set more), so they do not clamp the
    // tenant's own levels; they do cap the config's model and global defaults, and apply where nothing else does.
    if (
      (v = valueOf(s.planLimits, f)) !== undefined &&
      (sel === undefined || ((sel.level === 'model' || sel.level === 'global') && v < sel.limit))
    ) {
      sel = { level: 'plan', limit: v, subject: sel?.subject ?? t };
    }
    if (sel !== undefined) out[dim] = sel;
  }
  return out;
}

/** Plan bounds a tenant admin's values must stay within (undefined: no plan bound for it). */
export function planBounds(config: RateLimitConfig, plan: string | undefined): Limits {
  const p = plan !== undefined ? config.plans[plan] : undefined;
  return p
    ? {
        requestsPerMinute: p.requestsPerMinute,
        tokensPerMinute: p.tokensPerMinute,
        concurrentRequests: p.concurrentRequests,
      }
    : {};
}

export { FIELD as DIMENSION_FIELD };
