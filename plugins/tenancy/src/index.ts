import {
  ACCESS_CONTROL,
  AUDIT_LOG,
  PLAN_BOUNDS,
  TENANT_DIRECTORY,
  TENANT_SUBJECTS,
  definePlugin,
} from '@aihub/core/plugin-api';
import { tenancyConfig } from './config';
import { tenancyHooks } from './hooks';
import { tenancyMetrics } from './metrics';
import { migrations } from './migrations';
import { tenancyRoutes } from './routes';
import { createRuntime } from './runtime';
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
  // `start` comes first: TypeScript infers `ctx.runtime` (a TenancyRuntime) from what it returns.
  async start(ctx) {
    const rt = createRuntime(ctx);
    const { directory } = rt;
    await directory.start();
    ctx.meter.gauge(
      'tenancy_directory_entries',
      'Tenants held in the in-memory directory cache',
      [],
      function (this: { set(v: number): void }) {
        this.set(directory.size);
      },
    );
    return rt;
  },
  // Factories: the plugins that consume these resolve them when they register, after tenancy started.
  register(bind, ctx) {
    bind.bindFactory(TENANCY, () => ctx.runtime.store);
    bind.bindFactory(ACCESS_CONTROL, () => ctx.runtime.access);
    bind.bindFactory(AUDIT_LOG, () => ctx.runtime.audit);
    bind.bindFactory(TENANT_DIRECTORY, () => ctx.runtime.directory);
    bind.bindFactory(PLAN_BOUNDS, () => ctx.runtime.planBounds);
    bind.bindFactory(TENANT_SUBJECTS, () => ctx.runtime.subjects);
  },
  hooks: (ctx) => tenancyHooks(() => ctx.runtime.directory, tenancyMetrics(ctx.meter)),
  routes: (router, ctx) => tenancyRoutes(router, ctx, () => ctx.runtime),
  async stop(ctx) {
    await ctx.runtime.directory.stop();
  },
  health: (ctx) => [
    {
      name: 'tenant-directory',
      check: async () => ({ cached: ctx.runtime.directory.size }),
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
export {
  ROLE_PERMISSIONS,
  ALL_PERMISSIONS,
  PLATFORM_PERMISSIONS,
  TENANCY_PERMISSIONS,
  roleGrants,
  scopeFor,
  renderMatrix,
} from './permissions';
export { maskSecrets, isSecretKey } from './audit';
export { INVALIDATE_CHANNEL } from './directory';
export { newId } from './ids';
