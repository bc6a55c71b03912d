/**
 * Test stand-ins for the auth and tenancy plugins, for plugin authors' tests: they set PrincipalKey / TenantKey from headers,
 * enforce `auth: 'required'` and route scopes like the auth plugin, and provide ACCESS_CONTROL,
 * AUDIT_LOG and TENANT_DIRECTORY backed by memory. Only core contracts are used.
 */
import {
  ACCESS_CONTROL,
  AUDIT_LOG,
  PrincipalKey,
  TENANT_DIRECTORY,
  TenantKey,
  definePlugin,
  errors,
  type AuditEntry,
  type BudgetSettings,
  type Principal,
  type PluginDefinition,
  type TenantContext,
  type TenantSettings,
  type TenantRole,
  type Permission,
} from '../plugin-api';
import { roleGrants } from '../contracts/authorize';

export interface TestHeaders {
  tenant?: string;
  key?: string;
  team?: string;
  user?: string;
  role?: TenantRole;
  scopes?: string[];
  superadmin?: boolean;
  keyBudgets?: BudgetSettings;
  tenantBudgets?: BudgetSettings;
  /** Whole tenant settings (pii, retentionDays, apiVersion, …). */
  tenantSettings?: TenantSettings;
  /** The API version pinned on the key (Principal.apiVersion). */
  keyApiVersion?: string;
}

/** Headers the identity plugin turns into a principal and tenant. */
export function asCaller(h: TestHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (h.tenant) out['x-test-tenant'] = h.tenant;
  if (h.key) out['x-test-key'] = h.key;
  if (h.team) out['x-test-team'] = h.team;
  if (h.user) out['x-test-user'] = h.user;
  if (h.role) out['x-test-role'] = h.role;
  if (h.superadmin) out['x-test-superadmin'] = '1';
  out['x-test-scopes'] = (h.scopes ?? ['ai:invoke', 'events:write', 'admin:read', 'admin:write']).join(',');
  if (h.keyBudgets) out['x-test-key-budgets'] = JSON.stringify(h.keyBudgets);
  if (h.tenantBudgets) out['x-test-tenant-budgets'] = JSON.stringify(h.tenantBudgets);
  if (h.tenantSettings) out['x-test-tenant-settings'] = JSON.stringify(h.tenantSettings);
  if (h.keyApiVersion) out['x-test-key-api-version'] = h.keyApiVersion;
  return out;
}

export function identityPlugin(): PluginDefinition {
  return definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-identity',
    version: '0.0.0',
    core: '*',
    hooks: [
      {
        phase: 'request.authenticate',
        appliesTo: (r) => r.pipeline && r.auth !== 'none',
        async handle(c, next) {
          const tenant = c.get('x-test-tenant');
          const superadmin = c.get('x-test-superadmin') === '1';
          if (tenant || superadmin) {
            const p: Principal = {
              kind: 'api_key',
              subject: c.get('x-test-key') || c.get('x-test-user') || 'test',
              tenantId: tenant || null,
              keyId: c.get('x-test-key') || undefined,
              teamId: c.get('x-test-team') || undefined,
              userId: c.get('x-test-user') || undefined,
              role: (c.get('x-test-role') || undefined) as TenantRole | undefined,
              superadmin,
              scopes: (c.get('x-test-scopes') || '').split(',').filter(Boolean),
              budgets: c.get('x-test-key-budgets')
                ? (JSON.parse(c.get('x-test-key-budgets')) as BudgetSettings)
                : undefined,
              apiVersion: c.get('x-test-key-api-version') || undefined,
            };
            PrincipalKey.set(c, p);
          }
          await next();
        },
      },
      {
        phase: 'request.tenant',
        appliesTo: (r) => r.pipeline && r.auth !== 'none',
        async handle(c, next) {
          const id = c.get('x-test-tenant');
          if (id) {
            const t: TenantContext = {
              id,
              slug: id,
              name: id,
              status: 'active',
              plan: 'test',
              settings: {
                budgets: c.get('x-test-tenant-budgets')
                  ? (JSON.parse(c.get('x-test-tenant-budgets')) as BudgetSettings)
                  : undefined,
                ...(c.get('x-test-tenant-settings')
                  ? (JSON.parse(c.get('x-test-tenant-settings')) as TenantSettings)
                  : {}),
              },
            };
            TenantKey.set(c, t);
          }
          await next();
        },
      },
      {
        phase: 'request.authorize',
        appliesTo: (r) => r.pipeline && r.auth !== 'none',
        async handle(c, next) {
          const p = PrincipalKey.get(c);
          const route = (c.state as { route?: { auth: string; scopes: string[] } }).route;
          if (route?.auth === 'required' && !p) throw errors.unauthorized();
          for (const s of route?.scopes ?? []) {
            if (p && !p.superadmin && !p.scopes.includes(s))
              throw errors.forbidden(`This key lacks the ${s} scope.`, 'insufficient_scope');
          }
          await next();
        },
      },
    ],
  });
}

export interface TestTenancy {
  plugin: PluginDefinition;
  audit: AuditEntry[];
  tenants: Map<string, TenantContext>;
  checks: { permission: string; tenantId: string | null | undefined }[];
}

/** Provides ACCESS_CONTROL (the docs/rbac.md role rules), AUDIT_LOG and TENANT_DIRECTORY in memory. */
export function testTenancy(): TestTenancy {
  const audit: AuditEntry[] = [];
  const tenants = new Map<string, TenantContext>();
  const checks: TestTenancy['checks'] = [];
  const grants = (role: string | undefined, permission: string) => roleGrants(role, permission as Permission);
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-tenancy',
    version: '0.0.0',
    core: '*',
    provides: [ACCESS_CONTROL, AUDIT_LOG, TENANT_DIRECTORY],
    register(bind) {
      bind.bindConstant(ACCESS_CONTROL, {
        authorize(c, permission, tenantId) {
          checks.push({ permission, tenantId });
          const p = PrincipalKey.get(c);
          if (!p) throw errors.unauthorized();
          if (p.superadmin) return;
          if (tenantId && p.tenantId !== tenantId) throw errors.notFound('Tenant not found.', 'tenant_not_found');
          if (!grants(p.role, permission)) throw errors.forbidden(`Role ${p.role} may not ${permission}.`);
        },
        can(c, permission, tenantId) {
          const p = PrincipalKey.get(c);
          return !!p && (p.superadmin || ((!tenantId || p.tenantId === tenantId) && grants(p.role, permission)));
        },
      });
      bind.bindConstant(AUDIT_LOG, {
        async record(_c, entry) {
          audit.push(entry);
        },
      });
      bind.bindConstant(TENANT_DIRECTORY, {
        async get(id) {
          return tenants.get(id);
        },
        invalidate() {},
      });
    },
  });
  return { plugin, audit, tenants, checks };
}
