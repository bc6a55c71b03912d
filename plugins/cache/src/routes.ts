import { z } from 'zod';
import {
  AUDIT_LOG,
  CoreErrors,
  TENANT_DIRECTORY,
  authorizeTenant,
  validated,
  type PluginContext,
  type PluginRouter,
} from '@aihub/core/plugin-api';
import type { CacheLayers } from './CacheLayers';
import type { CacheConfig } from './config';
import type { TenantStats } from './TenantStats';

const params = z.object({ tenantId: z.string().min(1).max(128) }).strict();
const query = z
  .object({
    model: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe("Purge only this model's entries (the model name clients send)"),
  })
  .strict();
const layerStats = z.object({
  hits: z.number().int(),
  misses: z.number().int(),
  hit_ratio: z.number().nullable().describe('hits / (hits + misses); null before the first lookup'),
  entries: z.number().int(),
  bytes: z.number().int(),
});
const statsOut = z.object({
  tenantId: z.string(),
  lookups: z.number().int().describe('Eligible lookups (bypassed requests are not counted)'),
  hits: z.number().int(),
  hit_ratio: z.number().nullable(),
  l1: layerStats.extend({
    scope: z
      .literal('instance')
      .describe('entries and bytes are those of the instance that answered; hits and misses are cluster-wide'),
  }),
  l2: layerStats.extend({
    enabled: z.boolean(),
    bytes_estimated: z
      .boolean()
      .describe('true when the tenant has more entries than one call measures; bytes are scaled up'),
  }),
});

const ratio = (hits: number, misses: number): number | null => (hits + misses === 0 ? null : hits / (hits + misses));

const purged = z.object({ tenantId: z.string(), model: z.string().nullable(), removed: z.number().int() });

/** `DELETE /admin/v1/tenants/:tenantId/cache[?model=]`: purge a tenant's entries on every instance. */
export function cacheRoutes(
  router: PluginRouter,
  ctx: PluginContext<CacheConfig>,
  layers: () => CacheLayers,
  stats: () => TenantStats,
): void {
  router.get(
    '/admin/v1/tenants/:tenantId/cache',
    async (c) => {
      const { tenantId } = validated<unknown, z.output<typeof params>>(c).params;
      // Hit ratios are usage figures: whoever may read the tenant's usage may read them.
      authorizeTenant(ctx, c, 'usage:read', tenantId);
      const directory = ctx.tryGet(TENANT_DIRECTORY);
      if (directory && !(await directory.get(tenantId)))
        throw CoreErrors.create('tenant_not_found', `Tenant ${tenantId} does not exist.`);
      const [counts, held] = await Promise.all([stats().read(tenantId), layers().tenantEntries(tenantId)]);
      // Every eligible lookup starts in L1; an L1 miss goes on to L2 (when on), so L2 misses are the final misses.
      const lookups = counts.l1_hit + counts.l1_miss;
      const hits = counts.l1_hit + counts.l2_hit;
      c.body = {
        tenantId,
        lookups,
        hits,
        hit_ratio: ratio(hits, lookups - hits),
        l1: {
          scope: 'instance',
          hits: counts.l1_hit,
          misses: counts.l1_miss,
          hit_ratio: ratio(counts.l1_hit, counts.l1_miss),
          entries: held.l1.entries,
          bytes: held.l1.bytes,
        },
        l2: {
          enabled: held.l2 !== null,
          hits: counts.l2_hit,
          misses: counts.l2_miss,
          hit_ratio: ratio(counts.l2_hit, counts.l2_miss),
          entries: held.l2?.entries ?? 0,
          bytes: held.l2?.bytes ?? 0,
          bytes_estimated: held.l2?.estimated ?? false,
        },
      };
    },
    {
      auth: 'required',
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: "A tenant's cache: hits, misses and hit ratio by layer (cluster-wide), entries and bytes held",
      schema: { params, responses: { 200: statsOut }, tag: 'cache', operationId: 'getTenantCache' },
    },
  );

  router.delete(
    '/admin/v1/tenants/:tenantId/cache',
    async (c) => {
      const v = validated<z.output<typeof query>, z.output<typeof params>>(c);
      const { tenantId } = v.params;
      const model = v.query.model;
      // The tenancy plugin's access control when loaded, else the same role rules on the caller's principal.
      authorizeTenant(ctx, c, 'cache:purge', tenantId);
      const directory = ctx.tryGet(TENANT_DIRECTORY);
      if (directory && !(await directory.get(tenantId)))
        throw CoreErrors.create('tenant_not_found', `Tenant ${tenantId} does not exist.`);
      const removed = await layers().purge(tenantId, model);
      await ctx.tryGet(AUDIT_LOG)?.record(c, {
        tenantId,
        action: 'cache.purge',
        targetType: 'cache',
        targetId: model ?? null,
        before: null,
        after: { removed, model: model ?? null },
      });
      c.body = { tenantId, model: model ?? null, removed };
    },
    {
      auth: 'required',
      scopes: ['admin:write'],
      tags: ['admin'],
      summary:
        "Purge a tenant's cached responses (all, or one model's) from the shared layer and every instance's memory",
      schema: { params, query, responses: { 200: purged }, tag: 'cache', operationId: 'purgeTenantCache' },
    },
  );
}
