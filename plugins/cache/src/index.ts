import { definePlugin } from '@aihub/core/plugin-api';
import { CacheLayers } from './CacheLayers';
import { cacheConfig, type CacheConfig } from './config';
import { cacheHooks, type CacheDeps } from './hooks';
import { CacheMetrics } from './metrics';
import { cacheRoutes } from './routes';
import { Flights } from './SingleFlight';
import { TenantStats } from './TenantStats';

/**
 * Response cache for OpenAI-compatible chat completions and embeddings: an in-process LRU (L1) and
 * the shared store (L2, Redis), tenant-scoped keys from the normalized request, single-flight
 * against stampedes, SSE replay of cached answers. See README.md.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'cache',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Two-layer (LRU + Redis) response cache with single-flight and streamed replay',
  // Principal/tenant (auth, tenancy) are read in cache.lookup; rate-limit counts a hit as a request.
  optionalDependsOn: ['tenancy', 'auth'],
  routePrefix: '',
  config: cacheConfig,
  // `start` comes first: TypeScript infers `ctx.runtime` (the CacheDeps) from what it returns.
  async start(ctx): Promise<CacheDeps> {
    const holder: { layers?: CacheLayers } = {};
    const metrics = new CacheMetrics(ctx.meter, () => holder.layers?.l1.calculatedSize ?? 0);
    const l2On = ctx.config.l2 === 'on' || (ctx.config.l2 === 'auto' && ctx.store.kind === 'redis');
    const layers = (holder.layers = new CacheLayers(
      ctx.config,
      l2On ? ctx.store : undefined,
      ctx.store,
      metrics,
      ctx.logger,
    ));
    const deps: CacheDeps = {
      layers,
      flights: new Flights(),
      metrics,
      stats: new TenantStats(ctx.store, ctx.logger, ctx.config.statsFlushMs),
    };
    await layers.start();
    deps.stats.start();
    return deps;
  },
  hooks: (ctx) => cacheHooks(ctx, () => ctx.runtime),
  routes: (router, ctx) =>
    cacheRoutes(
      router,
      ctx,
      () => ctx.runtime.layers,
      () => ctx.runtime.stats,
    ),
  async stop(ctx) {
    await ctx.runtime.stats.stop();
    await ctx.runtime.layers.stop();
  },
  health: (ctx) => [
    {
      name: 'cache',
      check: async () => {
        const d = ctx.runtime;
        return {
          l1Entries: d.layers.l1.size,
          l1Bytes: d.layers.l1.calculatedSize,
          l2: d.layers.l2 ? d.layers.l2.kind : 'off',
          flights: d.flights.size,
        };
      },
    },
  ],
});

export { cacheConfig, type CacheConfig };
export { cacheKey, normalizedRequest } from './key';
