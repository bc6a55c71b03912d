import { definePlugin } from '@aihub/core/plugin-api';
import { CacheLayers } from './CacheLayers';
import { cacheConfig, type CacheConfig } from './config';
import { cacheHooks, type CacheDeps } from './hooks';
import { CacheMetrics } from './metrics';
import { cacheRoutes } from './routes';
import { Flights } from './SingleFlight';
import { TenantStats } from './TenantStats';

const deps = new WeakMap<object, CacheDeps>();

function depsOf(ctx: object): CacheDeps {
  const d = deps.get(ctx);
  if (!d) throw new Error('cache: hooks used before the plugin started');
  return d;
}

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
  register(_bind, ctx) {
    const holder: { layers?: CacheLayers } = {};
    const metrics = new CacheMetrics(ctx.meter, () => holder.layers?.l1.calculatedSize ?? 0);
    const l2On = ctx.config.l2 === 'on' || (ctx.config.l2 === 'auto' && ctx.store.kind === 'redis');
    const layers = (holder.layers = new CacheLayers(ctx.config, l2On ? ctx.store : undefined, ctx.store, metrics, ctx.logger));
    deps.set(ctx, { layers, flights: new Flights(), metrics, stats: new TenantStats(ctx.store, ctx.logger, ctx.config.statsFlushMs) });
  },
  hooks: (ctx) => {
    let cached: CacheDeps | undefined;
    return cacheHooks(ctx, () => (cached ??= depsOf(ctx)));
  },
  routes: (router, ctx) => cacheRoutes(router, ctx, () => depsOf(ctx).layers, () => depsOf(ctx).stats),
  async start(ctx) {
    await depsOf(ctx).layers.start();
    depsOf(ctx).stats.start();
  },
  async stop(ctx) {
    await deps.get(ctx)?.stats.stop();
    await deps.get(ctx)?.layers.stop();
  },
  health: (ctx) => [
    {
      name: 'cache',
      check: async () => {
        const d = deps.get(ctx);
        return { l1Entries: d?.layers.l1.size ?? 0, l1Bytes: d?.layers.l1.calculatedSize ?? 0, l2: d?.layers.l2 ? d.layers.l2.kind : 'off', flights: d?.flights.size ?? 0 };
      },
    },
  ],
});

export { cacheConfig, type CacheConfig };
export { cacheKey, normalizedRequest } from './key';
