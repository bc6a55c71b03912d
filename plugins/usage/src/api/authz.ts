import { ACCESS_CONTROL, GatewayError, PrincipalKey, errors, type GatewayContext, type Permission, type PluginContext } from '@aihub/core/plugin-api';

/** Permissions each tenant role holds when no AccessControl service (tenancy plugin) is loaded. */
const FALLBACK_ROLES: Record<string, readonly Permission[]> = {
  owner: ['usage:read', 'budgets:write', 'events:read', 'events:delete'],
  admin: ['usage:read', 'budgets:write', 'events:read', 'events:delete'],
  developer: ['usage:read', 'events:read'],
  viewer: ['usage:read'],
};

/**
 * Server-side authorization of an admin route for one tenant. Delegates to the tenancy plugin's
 * AccessControl when it is loaded; otherwise applies the same rules (docs/rbac.md) with the same
 * role matrix for these permissions, so the routes are never open: authenticated (401), the admin
 * scope for the permission — `admin:read` for `*:read`, else `admin:write` (403), superadmin
 * allowed, another tenant 404 (existence does not leak), and a role that grants it (403).
 */
export function authorize(ctx: PluginContext, c: GatewayContext, permission: Permission, tenantId: string): void {
  const access = ctx.tryGet(ACCESS_CONTROL);
  if (access) {
    access.authorize(c, permission, tenantId);
    return;
  }
  const principal = PrincipalKey.get(c);
  if (!principal) throw errors.unauthorized();
  const scope = permission.endsWith(':read') ? 'admin:read' : 'admin:write';
  if (!principal.scopes.includes(scope)) {
    throw new GatewayError(`This credential lacks the ${scope} scope needed to ${permission.replace(':', ' ')}.`, { code: 'insufficient_scope', status: 403 });
  }
  if (principal.superadmin) return;
  if (principal.tenantId !== tenantId) throw errors.notFound(`Tenant ${tenantId} was not found.`, 'tenant_not_found');
  const allowed = !!principal.role && (FALLBACK_ROLES[principal.role] ?? []).includes(permission);
  if (!allowed) {
    throw new GatewayError(`This credential may not ${permission.replace(':', ' ')} in this tenant; ask a tenant owner or admin.`, { code: 'permission_denied', status: 403 });
  }
}

/** Who made an admin change, for audit entries and `updated_by`. */
export function actorOf(c: GatewayContext): string | null {
  const p = PrincipalKey.get(c);
  return p ? (p.userId ?? p.keyId ?? p.subject) : null;
}
