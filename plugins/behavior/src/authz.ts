import { ACCESS_CONTROL, GatewayError, PrincipalKey, errors, type GatewayContext, type Permission, type PluginContext } from '@aihub/core/plugin-api';

/** Permissions each tenant role holds when no AccessControl service (tenancy plugin) is loaded. */
const FALLBACK_ROLES: Record<string, readonly Permission[]> = {
  owner: ['usage:read', 'budgets:write', 'events:read', 'events:delete'],
  admin: ['usage:read', 'budgets:write', 'events:read', 'events:delete'],
  developer: ['usage:read', 'events:read'],
  viewer: ['usage:read', 'events:read'],
};

const WRITE_PERMISSIONS = new Set<Permission>(['budgets:write', 'events:delete']);

/**
 * Server-side authorization of an admin route for one tenant. Delegates to the tenancy plugin's
 * AccessControl when it is loaded (roles, superadmin, 404 for other tenants); otherwise applies a
 * conservative built-in rule so the routes are never open: the caller must be authenticated, in
 * that tenant (else 404, so existence does not leak), and hold a role — or, for a credential without
 * a role, the admin scope — that grants the permission.
 */
export function authorize(ctx: PluginContext, c: GatewayContext, permission: Permission, tenantId: string): void {
  const access = ctx.tryGet(ACCESS_CONTROL);
  if (access) {
    access.authorize(c, permission, tenantId);
    return;
  }
  const principal = PrincipalKey.get(c);
  if (!principal) throw errors.unauthorized();
  if (principal.superadmin) return;
  if (principal.tenantId !== tenantId) throw errors.notFound(`Tenant ${tenantId} was not found.`, 'tenant_not_found');
  const allowed = principal.role
    ? (FALLBACK_ROLES[principal.role] ?? []).includes(permission)
    : WRITE_PERMISSIONS.has(permission)
      ? principal.scopes.includes('admin:write')
      : principal.scopes.includes('admin:read') || principal.scopes.includes('admin:write');
  if (!allowed) {
    throw new GatewayError(`This credential may not ${permission.replace(':', ' ')} in this tenant; ask a tenant owner or admin.`, { code: 'permission_denied', status: 403 });
  }
}

/** Who made an admin change, for audit entries and `updated_by`. */
export function actorOf(c: GatewayContext): string | null {
  const p = PrincipalKey.get(c);
  return p ? (p.userId ?? p.keyId ?? p.subject) : null;
}
