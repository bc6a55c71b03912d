import type { Context } from 'koa';
import { errors } from '../errors/GatewayError';
import type { PluginContext } from '../kernel/types';
import { ACCESS_CONTROL, PrincipalKey, type Permission } from './index';
import { CoreErrors } from '../errors/coreErrors';

/**
 * What each tenant role may do when no AccessControl service (the tenancy plugin) is loaded — the
 * same rules as docs/rbac.md: owners and admins everything in their tenant, developers read (but
 * not the audit log), viewers read the tenant, its teams, its usage and its behavior analytics.
 */
const FALLBACK_ROLES: Record<string, (permission: Permission) => boolean> = {
  owner: (p) => p !== 'tenants:create',
  admin: (p) => p !== 'tenants:create' && p !== 'tenants:delete',
  developer: (p) => p.endsWith(':read') && p !== 'audit:read',
  viewer: (p) => p === 'tenants:read' || p === 'teams:read' || p === 'usage:read' || p === 'events:read',
};

/** Whether a tenant role holds a permission under the docs/rbac.md rules (the no-tenancy fallback). */
export function roleGrants(role: string | undefined, permission: Permission): boolean {
  return !!role && (FALLBACK_ROLES[role]?.(permission) ?? false);
}

/**
 * Server-side authorization of an admin route for one tenant, for any plugin's admin routes. Delegates to the tenancy plugin's
 * AccessControl when it is loaded; otherwise applies the same rules (docs/rbac.md) with the same
 * role matrix for these permissions, so the routes are never open: authenticated (401), the admin
 * scope for the permission — `admin:read` for `*:read`, else `admin:write` (403), superadmin
 * allowed, another tenant 404 (existence does not leak), and a role that grants it (403).
 */
export function authorizeTenant(ctx: PluginContext, c: Context, permission: Permission, tenantId: string): void {
  const access = ctx.tryGet(ACCESS_CONTROL);
  if (access) {
    access.authorize(c, permission, tenantId);
    return;
  }
  const principal = PrincipalKey.get(c);
  if (!principal) throw errors.unauthorized();
  const scope = permission.endsWith(':read') ? 'admin:read' : 'admin:write';
  if (!principal.scopes.includes(scope)) {
    throw CoreErrors.create(
      'insufficient_scope',
      `This credential lacks the ${scope} scope needed to ${permission.replace(':', ' ')}.`,
    );
  }
  if (principal.superadmin) return;
  if (principal.tenantId !== tenantId) throw errors.notFound(`Tenant ${tenantId} was not found.`, 'tenant_not_found');
  const allowed = roleGrants(principal.role, permission);
  if (!allowed) {
    throw CoreErrors.create(
      'permission_denied',
      `This credential may not ${permission.replace(':', ' ')} in this tenant; ask a tenant owner or admin.`,
    );
  }
}

/** Who made an admin change, for audit entries and `updated_by`. */
export function actorOf(c: Context): string | null {
  const p = PrincipalKey.get(c);
  return p ? (p.userId ?? p.keyId ?? p.subject) : null;
}
