import { currentRequest } from '@aihub/core';
import { GatewayError, PrincipalKey, TenantKey, errors, type HookDefinition } from '@aihub/core/plugin-api';
import type { CachedTenantDirectory } from './directory';
import type { TenancyMetrics } from './metrics';
import { runInTenant } from './scope';

function suspended(): GatewayError {
  return errors.forbidden('This tenant is suspended; contact the platform operator.', 'tenant_suspended');
}

function unknownTenant(): GatewayError {
  return errors.unauthorized('The credential belongs to a tenant that no longer exists; use a current key or token.', 'tenant_not_found');
}

/**
 * `request.tenant`: for every authenticated route, resolves the caller's tenant from the directory
 * cache (no query on a hit), refuses suspended tenants (superadmins excepted, so they can reactivate
 * them), publishes the tenant (TenantKey, the request log context) and runs the rest of the
 * pipeline in that tenant's scope.
 */
export function tenancyHooks(getDirectory: () => CachedTenantDirectory, metrics: TenancyMetrics): HookDefinition[] {
  // Resolved on first use: hooks are declared (and dry-read at boot) before register() runs.
  let directory: CachedTenantDirectory | undefined;
  return [
    {
      name: 'resolve-tenant',
      phase: 'request.tenant',
      appliesTo: (route) => route.pipeline && route.auth !== 'none',
      async handle(ctx, next) {
        const principal = PrincipalKey.get(ctx);
        const tenantId = principal?.tenantId;
        if (!tenantId) return next();
        const dir = (directory ??= getDirectory());
        let tenant = dir.peek(tenantId);
        if (tenant) metrics.hit.inc();
        else {
          metrics.miss.inc();
          tenant = await dir.get(tenantId);
        }
        if (!tenant) {
          if (principal.superadmin === true) return next();
          metrics.unknownTenant.inc();
          throw unknownTenant();
        }
        if (tenant.status !== 'active' && principal.superadmin !== true) {
          metrics.suspended.inc();
          throw suspended();
        }
        TenantKey.set(ctx, tenant);
        // The kernel labels HTTP metrics from ctx.state.tenantId (when configured) and logs from the request context.
        (ctx.state as { tenantId?: string }).tenantId = tenant.id;
        const info = currentRequest();
        if (info) info.tenantId = tenant.id;
        return runInTenant(tenant.id, next);
      },
    },
  ];
}
