import { PLAN_BOUNDS, definePlugin } from '@aihub/core/plugin-api';
import { rateLimitConfig, type RateLimitConfig } from './config';
import { rateLimitHooks, type HookDeps } from './hooks';
import { Limiter } from './Limiter';
import { RateLimitMetrics } from './metrics';
import { migrations } from './migrations';
import { definePolicyModel } from './models';
import { PolicyStore } from './PolicyStore';
import { planBounds } from './resolve';
import { rateLimitRoutes } from './routes';
import { rateLimitUsageRoute } from './usageRoute';

/**
 * Requests per minute, tokens per minute and concurrent requests, per key, user, team, tenant,
 * model and plan; atomic in Redis (one script per request, correct with any number of instances),
 * in memory without Redis. See README.md.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'rate-limit',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Requests/tokens per minute and concurrency limits (Redis or memory) with RateLimit-* headers',
  // Tenancy (access control, audit, tenant directory) and auth (Principal) start first when present.
  optionalDependsOn: ['tenancy', 'auth'],
  routePrefix: '',
  config: rateLimitConfig,
  migrations,
  // `start` comes first: TypeScript infers `ctx.runtime` (the HookDeps) from what it returns.
  async start(ctx): Promise<HookDeps> {
    const metrics = new RateLimitMetrics(ctx.meter);
    const model = definePolicyModel(ctx.database.sequelize, ctx.table('policies'));
    const policies = new PolicyStore(model, ctx.store, ctx.config.policyCacheSeconds * 1000, ctx.logger);
    const limiter = new Limiter(
      ctx.store,
      {
        windowMs: ctx.config.windowSeconds * 1000,
        leaseMs: ctx.config.concurrency.leaseSeconds * 1000,
        warnIntervalMs: ctx.config.warnIntervalSeconds * 1000,
      },
      metrics,
      ctx.logger,
    );
    // This plugin's plans are bounds too: every path that sets a limit (tenant settings included)
    // checks them through PLAN_BOUNDS (the tenancy plugin starts first when present).
    const bounds = ctx.tryGet(PLAN_BOUNDS);
    bounds?.contribute((plan) => ({ limits: planBounds(ctx.config, plan) }));
    await policies.start();
    limiter.start();
    return { limiter, policies, metrics, planBounds: bounds };
  },
  hooks: (ctx) => rateLimitHooks(ctx, () => ctx.runtime),
  routes: (router, ctx) => {
    rateLimitRoutes(router, ctx, () => ctx.runtime.policies);
    rateLimitUsageRoute(router, ctx, () => ctx.runtime.policies);
  },
  async stop(ctx) {
    await ctx.runtime.limiter.stop();
    await ctx.runtime.policies.stop();
  },
  health: (ctx) => [
    {
      name: 'rate-limit',
      // Informational: a store outage is handled by the fail mode and reported by core's redis check.
      check: async () => ({ leasesHeld: ctx.runtime.limiter.inFlight, store: ctx.store.kind }),
    },
  ],
});

export { rateLimitConfig, type RateLimitConfig };
export { estimatePromptTokens, estimateRequestTokens } from './estimate';
export { resolve, type Resolution, type Level, type Dimension } from './resolve';
