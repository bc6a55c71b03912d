import {
  AiCallKey,
  PrincipalKey,
  TenantKey,
  TokenReservationKey,
  defineStateKey,
  type GatewayContext,
  type GatewayMiddleware,
  type HookDefinition,
  type PlanBoundsService,
  type PluginContext,
  type RouteInfo,
} from '@aihub/core/plugin-api';
import type { Next } from 'koa';
import type { RateLimitConfig } from './config';
import { estimateRequestTokens } from './estimate';
import { limitError, setLimitHeaders, unavailableError } from './headers';
import type { Decision, Limiter } from './Limiter';
import type { Outcome, RateLimitMetrics } from './metrics';
import type { PolicyStore, TenantPolicies } from './PolicyStore';
import { DIMENSIONS, resolve, type Resolution } from './resolve';
import { ADMIT_OK } from './scripts';

interface Admitted {
  resolution: Resolution;
  decision: Decision;
}

/** Private per-request state: what was admitted, for the settle hook. */
const AdmittedKey = defineStateKey<Admitted>('rate-limit.admitted');
const NO_POLICIES: TenantPolicies = new Map();

export interface HookDeps {
  limiter: Limiter;
  policies: PolicyStore;
  metrics: RateLimitMetrics;
  /** The platform's plans (tenancy plugin), when loaded: the limit where no level sets one. */
  planBounds?: PlanBoundsService;
}

function count(metrics: RateLimitMetrics, r: Resolution, outcome: Outcome): void {
  for (const dim of DIMENSIONS) {
    const s = r[dim];
    if (s !== undefined) metrics.decision(outcome, s.level, dim);
  }
}

function modelOf(body: unknown): string | undefined {
  const m = (body as { model?: unknown } | null | undefined)?.model;
  return typeof m === 'string' && m.length > 0 && m.length <= 256 ? m : undefined;
}

/**
 * The admission middleware. `tokens` is decided per route at boot: only routes tagged `ai` estimate
 * and reserve tokens.
 */
function admission(ctx: PluginContext<RateLimitConfig>, deps: () => HookDeps, tokens: boolean): GatewayMiddleware {
  const { config } = ctx;
  const { bytesPerToken, defaultCompletionTokens } = config.tokens;
  return async (c: GatewayContext, next: Next) => {
    const { limiter, policies, metrics, planBounds } = deps();
    const principal = PrincipalKey.get(c);
    const tenant = TenantKey.get(c);
    const tenantId = tenant?.id ?? principal?.tenantId ?? '_';
    const stored = tenantId === '_' ? NO_POLICIES : await policies.get(tenantId);
    const body = c.request.body;
    const model = tokens ? modelOf(body) : undefined;
    const r = resolve(config, {
      tenantId,
      plan: tenant?.plan,
      keyId: principal?.keyId ?? principal?.clientId,
      userId: principal?.userId,
      teamId: principal?.teamId,
      model,
      principalLimits: principal?.limits,
      tenantLimits: tenant?.settings?.limits,
      planLimits: tenant !== undefined && planBounds !== undefined ? planBounds.forTenant(tenant).limits : undefined,
      stored,
    });
    // Only AI routes have tokens to count.
    if (!tokens) r.tokens = undefined;
    if (r.requests === undefined && r.tokens === undefined && r.concurrency === undefined) return next();
    const cost =
      tokens && r.tokens !== undefined
        ? estimateRequestTokens(body, bytesPerToken, defaultCompletionTokens, c.path)
        : 0;
    let decision: Decision;
    try {
      decision = await limiter.admit(r, cost);
    } catch {
      if (r.failClosed) {
        count(metrics, r, 'error_closed');
        throw unavailableError();
      }
      count(metrics, r, 'error_open');
      return next();
    }
    if (decision.status !== ADMIT_OK) {
      const dim = DIMENSIONS[decision.status - 1];
      metrics.decision('limited', r[dim]!.level, dim);
      if (config.headers) setLimitHeaders(c, r, decision);
      throw limitError(r, decision, model);
    }
    count(metrics, r, 'allowed');
    if (config.headers) setLimitHeaders(c, r, decision);
    if (decision.cost > 0) TokenReservationKey.set(c, decision.cost);
    AdmittedKey.set(c, { resolution: r, decision });
    return next();
  };
}

/**
 * After the response (streams: after the last byte): reconciles the token reservation with the real
 * usage the ai plugin reported and releases the concurrency lease. A cache hit costs no tokens; a
 * failed request without usage refunds its reservation; a successful one without usage keeps it.
 */
function settle(deps: () => HookDeps): (c: GatewayContext) => Promise<void> | undefined {
  return (c) => {
    const admitted = AdmittedKey.get(c);
    if (admitted === undefined) return undefined;
    const d = admitted.decision;
    let delta = 0;
    if (d.tokensKey !== undefined) {
      const call = AiCallKey.get(c);
      let actual: number;
      if (call?.cacheHit) actual = 0;
      else if (call?.usage) actual = call.usage.totalTokens;
      else actual = c.status >= 400 ? 0 : d.cost;
      delta = actual - d.cost;
    }
    return deps().limiter.settle(d, delta);
  };
}

/**
 * The plugin's hooks. `deps` is read per request (not when hooks are declared: declaring happens
 * before start, and also without starting, for `aihub plugins list`).
 */
export function rateLimitHooks(ctx: PluginContext<RateLimitConfig>, deps: () => HookDeps): HookDefinition[] {
  const tags = new Set(ctx.config.tags);
  const isAi = (route: RouteInfo) => route.pipeline && tags.has('ai') && route.tags.includes('ai');
  const isOther = (route: RouteInfo) =>
    route.pipeline && !route.tags.includes('ai') && route.tags.some((t) => tags.has(t));
  const limited = (route: RouteInfo) => isAi(route) || isOther(route);
  return [
    { name: 'limit-ai', phase: 'request.limit', appliesTo: isAi, handle: admission(ctx, deps, true) },
    { name: 'limit', phase: 'request.limit', appliesTo: isOther, handle: admission(ctx, deps, false) },
    { name: 'settle', phase: 'response.meter', appliesTo: limited, handle: settle(deps) },
  ];
}
