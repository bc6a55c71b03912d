import {
  CoreErrors,
  PrincipalKey,
  TENANT_ROLES,
  errors,
  type GatewayContext,
  type Principal,
  type TenantRole,
} from '@aihub/core/plugin-api';
import type { AuthRuntime } from '../runtime';
import { AuthErrors } from '../errors';

/** owner > admin > developer > viewer. */
export function roleRank(role: TenantRole | undefined): number {
  return role === undefined ? -1 : TENANT_ROLES.length - TENANT_ROLES.indexOf(role);
}

export function callerOf(ctx: GatewayContext): Principal {
  const principal = PrincipalKey.get(ctx);
  if (!principal) throw errors.unauthorized();
  return principal;
}

/** `created_by`: the user behind the credential when there is one, else the credential itself. */
export function actorId(p: Principal): string {
  return p.userId ?? `${p.kind}:${p.subject}`;
}

/**
 * Authorizes `permission` on the tenant (404 for another tenant, 403 for a role or scope that does
 * not allow it) and checks the tenant exists, so a superadmin gets 404 for a tenant id that is
 * not there instead of writing rows for it.
 */
export async function authorizeTenant(
  rt: AuthRuntime,
  ctx: GatewayContext,
  permission: string,
  tenantId: string,
): Promise<Principal> {
  rt.access().authorize(ctx, permission, tenantId);
  const tenant = await rt.tenancy().getTenant(tenantId);
  if (!tenant) throw CoreErrors.create('tenant_not_found', 'No such tenant (or it is not yours).');
  return callerOf(ctx);
}

/**
 * A credential's `allowed_models` must lie within the tenant's: a model outside the tenant's
 * allow-list is refused (400) instead of stored as a promise the gateway never keeps (the tenant's
 * list is checked first on every call, so a credential can never widen it). `*` means "whatever the
 * tenant may use" and is always accepted.
 */
export async function checkModelsWithinTenant(
  rt: AuthRuntime,
  tenantId: string,
  models: readonly string[] | null | undefined,
): Promise<void> {
  if (!models?.length) return;
  const allowed = (await rt.tenancy().getTenant(tenantId))?.settings.allowedModels;
  if (!allowed || allowed.includes('*')) return;
  const outside = models.filter((m) => m !== '*' && !allowed.includes(m));
  if (outside.length) {
    throw AuthErrors.create(
      'model_not_in_tenant',
      `allowed_models may only name models the tenant may use; ${outside.map((m) => `\`${m}\``).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among them (the tenant's: ${allowed.join(', ')}). Remove ${outside.length === 1 ? 'it' : 'them'}, or widen the tenant's allowedModels first.`,
      { param: 'allowed_models' },
    );
  }
}

/**
 * A caller may hand out at most what it holds: no role above its own, no scope it lacks, and only
 * a superadmin may create superadmin credentials or first-party clients.
 */
export function checkDelegation(
  caller: Principal,
  wanted: { role?: TenantRole; scopes?: string[]; superadmin?: boolean; what: string },
): void {
  if (caller.superadmin === true) return;
  if (wanted.superadmin)
    throw CoreErrors.create('permission_denied', `Only a platform superadmin may create a superadmin ${wanted.what}.`);
  if (wanted.role && roleRank(wanted.role) > roleRank(caller.role)) {
    throw CoreErrors.create(
      'permission_denied',
      `You cannot give a ${wanted.what} the ${wanted.role} role: it is above your own (${caller.role ?? 'none'}).`,
    );
  }
  for (const scope of wanted.scopes ?? []) {
    if (!caller.scopes.includes(scope))
      throw CoreErrors.create(
        'permission_denied',
        `You cannot give a ${wanted.what} the \`${scope}\` scope: your credential does not have it.`,
      );
  }
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** The created/updated JSON for audit entries: the view, never secrets (the audit log masks too). */
export async function audit(
  rt: AuthRuntime,
  ctx: GatewayContext,
  entry: {
    tenantId: string | null;
    action: string;
    targetType: string;
    targetId: string;
    before?: unknown;
    after?: unknown;
  },
): Promise<void> {
  const log = rt.audit();
  if (!log) {
    rt.ctx.logger.warn('no AUDIT_LOG provider: admin change not audited', {
      action: entry.action,
      target_id: entry.targetId,
    });
    return;
  }
  await log.record(ctx, entry);
}

/** Keys or clients above the caller (a higher role, or a superadmin credential) are not theirs to change. */
export function checkTargetRank(
  caller: Principal,
  target: { role: TenantRole; superadmin?: boolean },
  what: string,
): void {
  if (caller.superadmin === true) return;
  if (target.superadmin)
    throw CoreErrors.create('permission_denied', `Only a platform superadmin may change a superadmin ${what}.`);
  if (roleRank(target.role) > roleRank(caller.role)) {
    throw CoreErrors.create(
      'permission_denied',
      `This ${what} has the ${target.role} role, above yours (${caller.role ?? 'none'}); ask an owner.`,
    );
  }
}
