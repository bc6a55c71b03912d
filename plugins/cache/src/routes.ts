import { z } from 'zod';
import { AUDIT_LOG, TENANT_DIRECTORY, authorizeTenant, errors, validated, type PluginContext, type PluginRouter } from '@aihub/core/plugin-api';
import type { CacheLayers } from './CacheLayers';
import type { CacheConfig } from './config';

const params = z.object({ tenantId: z.string().min(1).max(128) }).strict();
const query = z.object({ model: z.string().min(1).max(256).optional().describe('Purge only this model\'s entries (the model name clients send)') }).strict();
const purged = z.object({ tenantId: z.string(), model: z.string().nullable(), removed: z.number().int() });

/** `DELETE /admin/v1/tenants/:tenantId/cache[?model=]`: purge a tenant's entries on every instance. */
export function cacheRoutes(router: PluginRouter, ctx: PluginContext<CacheConfig>, layers: () => CacheLayers): void {
  router.delete(
    '/admin/v1/tenants/:tenantId/cache',
    async (c) => {
      const v = validated<z.output<typeof query>, z.output<typeof params>>(c);
      const { tenantId } = v.params;
      const model = v.query.model;
      // The tenancy plugin's access control when loaded, else the same role rules on the caller's principal.
      authorizeTenant(ctx, c, 'cache:purge', tenantId);
      const directory = ctx.tryGet(TENANT_DIRECTORY);
      if (directory && !(await directory.get(tenantId))) throw errors.notFound(`Tenant ${tenantId} does not exist.`, 'tenant_not_found');
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
      summary: "Purge a tenant's cached responses (all, or one model's) from the shared layer and every instance's memory",
      schema: { params, query, responses: { 200: purged }, tag: 'cache', operationId: 'purgeTenantCache' },
    },
  );
}
