import { currentRequest } from '@aihub/core/plugin-api';
import {
  GatewayError,
  PrincipalKey,
  TenantKey,
  errors,
  type GatewayContext,
  type HookDefinition,
  type Principal,
  type TenantContext,
} from '@aihub/core/plugin-api';
import type { CachedTenantDirectory } from './directory';
import type { TenancyMetrics } from './metrics';
import { runInTenant } from './scope';
import { TenancyErrors } from './errors';

function suspended(): GatewayError {
  return TenancyErrors.create('tenant_suspended', 'This tenant is suspended; contact the platform operator.');
}

function unknownTenant(): GatewayError {
  return errors.unauthorized(
    'The credential belongs to a tenant that no longer exists; use a current key or token.',
    'tenant_not_found',
  );
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
  const enter = (
    ctx: GatewayContext,
    principal: Principal,
    tenant: TenantContext | undefined,
    next: () => Promise<unknown>,
  ): unknown => {
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
  };
  return [
    {
      name: 'resolve-tenant',
      phase: 'request.tenant',
      appliesTo: (route) => route.pipeline && route.auth !== 'none',
      // Not async: on a directory-cache hit (the usual case) the hook adds no promise of its own;
      // the kernel attributes a sync throw exactly like a rejection.
      handle(ctx, next) {
        const principal = PrincipalKey.get(ctx);
        const tenantId = principal?.tenantId;
        if (!principal || !tenantId) return next();
        const dir = (directory ??= getDirectory());
        const cached = dir.peek(tenantId);
        if (cached) {
          metrics.hit.inc();
          return enter(ctx, principal, cached, next);
        }
        metrics.miss.inc();
        return dir.get(tenantId).then((tenant) => enter(ctx, principal, tenant, next));
      },
    },
  ];
}
