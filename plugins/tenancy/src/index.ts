import { ACCESS_CONTROL, AUDIT_LOG, PLAN_BOUNDS, TENANT_DIRECTORY, TENANT_SUBJECTS, definePlugin } from '@aihub/core/plugin-api';
import { tenancyConfig } from './config';
import { tenancyHooks } from './hooks';
import { tenancyMetrics } from './metrics';
import { migrations } from './migrations';
import { tenancyRoutes } from './routes';
import { createRuntime, runtimeOf } from './runtime';
import { TENANCY } from './service';

/**
 * Tenants, users, teams, roles, the tenant context of every request, RBAC for the admin API and the
 * audit log. Provides TENANCY, ACCESS_CONTROL, AUDIT_LOG, TENANT_DIRECTORY, PLAN_BOUNDS and TENANT_SUBJECTS.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'tenancy',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Tenants, users, teams, roles, tenant context, RBAC and the audit log',
  config: tenancyConfig,
  routePrefix: '',
  provides: [TENANCY, ACCESS_CONTROL, AUDIT_LOG, TENANT_DIRECTORY, PLAN_BOUNDS, TENANT_SUBJECTS],
  migrations,
  register(bind, ctx) {
    const rt = createRuntime(ctx);
    bind.bindConstant(TENANCY, rt.store);
    bind.bindConstant(ACCESS_CONTROL, rt.access);
    bind.bindConstant(AUDIT_LOG, rt.audit);
    bind.bindConstant(TENANT_DIRECTORY, rt.directory);
    bind.bindConstant(PLAN_BOUNDS, rt.planBounds);
    bind.bindConstant(TENANT_SUBJECTS, rt.subjects);
  },
  hooks: (ctx) => tenancyHooks(() => runtimeOf(ctx).directory, tenancyMetrics(ctx.meter)),
  routes: (router, ctx) => tenancyRoutes(router, ctx, () => runtimeOf(ctx)),
  async start(ctx) {
    const { directory } = runtimeOf(ctx);
    await directory.start();
    ctx.meter.gauge('tenancy_directory_entries', 'Tenants held in the in-memory directory cache', [], function (this: { set(v: number): void }) {
      this.set(directory.size);
    });
  },
  async stop(ctx) {
    await runtimeOf(ctx).directory.stop();
  },
  health: (ctx) => [
    {
      name: 'tenant-directory',
      check: async () => ({ cached: runtimeOf(ctx).directory.size }),
    },
  ],
});

export { TENANCY, type TenancyService } from './service';
export type * from './types';
export { tenancyConfig, type TenancyConfig } from './config';
export {
  runInTenant,
  withCrossTenantAccess,
  currentTenantId,
  requireTenantScope,
  tenantWhere,
  tenantScopeMissing,
  guardTenantModel,
  isTenantGuarded,
  scopedRepository,
  type TenantScope,
} from './scope';
export { dummyVerify, hashPassword, verifyPasswordHash, lockDurationMs } from './password';
export { ROLE_PERMISSIONS, ALL_PERMISSIONS, PLATFORM_PERMISSIONS, TENANCY_PERMISSIONS, roleGrants, scopeFor, renderMatrix } from './permissions';
export { maskSecrets, isSecretKey } from './audit';
export { INVALIDATE_CHANNEL } from './directory';
export { newId } from './ids';
