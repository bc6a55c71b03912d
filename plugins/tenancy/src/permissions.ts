/**
 * The permission matrix: which tenant role grants which admin permission. docs/rbac.md is generated
 * from this table (a test fails when the document is out of date).
 *
 * Rules: a platform superadmin may do everything in every tenant. In its own tenant, `owner` may do
 * everything; `admin` everything except deleting the tenant and granting or removing the owner role;
 * `developer` and `viewer` only read; a viewer reads the tenant, its teams, its usage and its behavior
 * analytics (end-user ids are stored hashed where the PII policy says so, and a viewer may not erase
 * a user's events: that is `events:delete`). Permissions marked platform-only are never granted by a tenant
 * role. A caller never reaches another tenant's resources: those answer 404.
 */
import { PERMISSIONS, TENANT_ROLES, type TenantRole } from '@aihub/core/plugin-api';

/**
 * Permissions this plugin adds to core's PERMISSIONS. `members:owner` is needed on top of
 * `members:write` to grant, change or remove the owner role.
 */
export const TENANCY_PERMISSIONS = ['members:owner'] as const;

export const ALL_PERMISSIONS: readonly string[] = [...PERMISSIONS, ...TENANCY_PERMISSIONS];

/** Never granted by a tenant role: they act on the platform, not on a tenant. */
export const PLATFORM_PERMISSIONS: ReadonlySet<string> = new Set(['tenants:create', 'users:read', 'users:write']);

const READ_ONLY_DEVELOPER = [
  'tenants:read',
  'teams:read',
  'keys:read',
  'usage:read',
  'events:read',
  'experiments:read',
  'limits:read',
];
const READ_ONLY_VIEWER = ['tenants:read', 'teams:read', 'usage:read', 'events:read'];

function tenantScoped(except: string[] = []): string[] {
  return ALL_PERMISSIONS.filter((p) => !PLATFORM_PERMISSIONS.has(p) && !except.includes(p));
}

export const ROLE_PERMISSIONS: Readonly<Record<TenantRole, ReadonlySet<string>>> = {
  owner: new Set(tenantScoped()),
  admin: new Set(tenantScoped(['tenants:delete', 'members:owner'])),
  developer: new Set(READ_ONLY_DEVELOPER),
  viewer: new Set(READ_ONLY_VIEWER),
};

/** What each permission means, for docs/rbac.md. */
export const PERMISSION_DESCRIPTIONS: Record<string, string> = {
  'tenants:create': 'Create tenants',
  'tenants:read': 'Read the tenant (name, plan, status, settings)',
  'tenants:write': 'Rename the tenant, change its slug',
  'tenants:delete': 'Delete the tenant',
  'users:read': 'List and read platform users',
  'users:write': 'Create, change and delete platform users',
  'teams:read': 'List and read teams',
  'teams:write': 'Create, rename and delete teams',
  'members:read': 'List members and their roles',
  'members:write': 'Add members, change roles, remove members',
  'members:owner': 'Grant the owner role, change or remove an owner',
  'keys:read': 'List API keys (never their secrets)',
  'keys:write': 'Create and revoke API keys',
  'oauth-clients:read': 'List OAuth clients',
  'oauth-clients:write': 'Create, change and delete OAuth clients',
  'audit:read': "Read the tenant's audit log",
  'settings:write': 'Change tenant settings (models, PII policy, prompts, cache, retention)',
  'limits:read': 'Read rate limits',
  'limits:write': 'Change rate limits',
  'cache:purge': "Purge the tenant's cache",
  'usage:read': 'Read usage and cost',
  'budgets:write': 'Change budgets',
  'events:read': 'Read behavior events and analytics',
  'events:delete': "Delete a user's events",
  'experiments:read': 'Read experiments and their results',
};

/** A permission is a read when it ends in `:read`; everything else needs the `admin:write` scope. */
export function isReadPermission(permission: string): boolean {
  return permission.endsWith(':read');
}

/** The credential scope an admin permission needs. */
export function scopeFor(permission: string): 'admin:read' | 'admin:write' {
  return isReadPermission(permission) ? 'admin:read' : 'admin:write';
}

export function roleGrants(role: TenantRole | undefined, permission: string): boolean {
  return role !== undefined && (ROLE_PERMISSIONS[role]?.has(permission) ?? false);
}

/** The matrix as Markdown (docs/rbac.md's table). */
export function renderMatrix(): string {
  const header = `| Permission | Scope | superadmin | ${TENANT_ROLES.join(' | ')} | Meaning |`;
  const rule = `|---|---|:-:|${TENANT_ROLES.map(() => ':-:').join('|')}|---|`;
  const rows = ALL_PERMISSIONS.map((p) => {
    const cells = TENANT_ROLES.map((r) => (roleGrants(r, p) ? '✅' : '—'));
    return `| \`${p}\` | \`${scopeFor(p)}\` | ✅ | ${cells.join(' | ')} | ${PERMISSION_DESCRIPTIONS[p] ?? ''}${PLATFORM_PERMISSIONS.has(p) ? ' (platform)' : ''} |`;
  });
  return [header, rule, ...rows].join('\n');
}
