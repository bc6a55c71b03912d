import type { Context } from 'koa';
import {
  CoreErrors,
  GatewayError,
  PrincipalKey,
  errors,
  type AccessControl,
  type Principal,
} from '@aihub/core/plugin-api';
import { PLATFORM_PERMISSIONS, roleGrants, scopeFor } from './permissions';
import { tenantNotFound } from './store/shared';

type Denial = 'unauthenticated' | 'scope' | 'platform' | 'not_found' | 'role';

/**
 * Decides whether the caller may use `permission` on `tenantId`:
 * `undefined` = the caller's own tenant, `null` = the platform (no tenant), a string = that tenant.
 * Order: no Principal → 401; credential without the `admin:read`/`admin:write` scope → 403;
 * superadmin → allowed; platform permission → 403; another tenant → 404 (indistinguishable from a
 * tenant that does not exist); role without the permission → 403.
 */
export function decide(
  principal: Principal | undefined,
  permission: string,
  tenantId: string | null | undefined,
): Denial | undefined {
  if (!principal) return 'unauthenticated';
  if (!principal.scopes?.includes(scopeFor(permission))) return 'scope';
  if (principal.superadmin === true) return undefined;
  const target = tenantId === undefined ? principal.tenantId : tenantId;
  if (target === null || PLATFORM_PERMISSIONS.has(permission)) return 'platform';
  if (!principal.tenantId || target !== principal.tenantId) return 'not_found';
  if (!roleGrants(principal.role, permission)) return 'role';
  return undefined;
}

function denialError(denial: Denial, principal: Principal | undefined, permission: string): GatewayError {
  switch (denial) {
    case 'unauthenticated':
      return errors.unauthorized(
        'Authentication required: send an API key or access token as `Authorization: Bearer <token>`.',
        'unauthenticated',
      );
    case 'scope':
      return CoreErrors.create(
        'insufficient_scope',
        `This credential lacks the \`${scopeFor(permission)}\` scope needed for ${permission}; use a key or token that has it.`,
      );
    case 'platform':
      return CoreErrors.create('permission_denied', `Only a platform superadmin may ${permission.replace(':', ' ')}.`);
    case 'not_found':
      return tenantNotFound();
    case 'role':
      return CoreErrors.create(
        'permission_denied',
        `Your role (${principal?.role ?? 'none'}) does not grant ${permission}; ask an owner or admin of the tenant.`,
      );
  }
}

/** ACCESS_CONTROL: server-side authorization for every admin route, from the Principal auth set. */
export class TenancyAccessControl implements AccessControl {
  authorize(ctx: Context, permission: string, tenantId?: string | null): void {
    const principal = PrincipalKey.get(ctx);
    const denial = decide(principal, permission, tenantId);
    if (denial) throw denialError(denial, principal, permission);
  }

  can(ctx: Context, permission: string, tenantId?: string | null): boolean {
    return decide(PrincipalKey.get(ctx), permission, tenantId) === undefined;
  }
}
