/** Admin API representations (snake_case, ISO times). Users never carry their password hash. */
import type { z } from 'zod';
import type { auditOut, memberOut, teamOut, tenantOut, userOut } from './schemas';
import type { AuditRecord, MemberRecord, MembershipRecord, TeamRecord, TenantRecord, UserRecord } from './types';

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export const tenantJson = (t: TenantRecord): z.output<typeof tenantOut> => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  plan: t.plan,
  settings: t.settings,
  created_at: iso(t.createdAt)!,
  updated_at: iso(t.updatedAt)!,
});

export const userJson = (u: UserRecord): z.output<typeof userOut> => ({
  id: u.id,
  email: u.email,
  status: u.status,
  superadmin: u.superadmin,
  has_password: u.passwordHash !== null,
  failed_logins: u.failedLogins,
  locked_until: iso(u.lockedUntil),
  last_login_at: iso(u.lastLoginAt),
  display_name: u.displayName,
  preferred_language: u.preferredLanguage,
  created_at: iso(u.createdAt)!,
  updated_at: iso(u.updatedAt)!,
});

export const teamJson = (t: TeamRecord): z.output<typeof teamOut> => ({
  id: t.id,
  tenant_id: t.tenantId,
  name: t.name,
  description: t.description,
  created_at: iso(t.createdAt)!,
  updated_at: iso(t.updatedAt)!,
});

export const memberJson = (
  m: MembershipRecord & Partial<Pick<MemberRecord, 'email' | 'userStatus'>>,
  user?: UserRecord,
): z.output<typeof memberOut> => ({
  user_id: m.userId,
  tenant_id: m.tenantId,
  email: user?.email ?? m.email ?? '',
  role: m.role,
  team_id: m.teamId,
  user_status: user?.status ?? m.userStatus ?? 'active',
  created_at: iso(m.createdAt)!,
  updated_at: iso(m.updatedAt)!,
});

export const auditJson = (a: AuditRecord): z.output<typeof auditOut> => ({
  id: a.id,
  tenant_id: a.tenantId,
  actor_type: a.actorType,
  actor_id: a.actorId,
  action: a.action,
  target_type: a.targetType,
  target_id: a.targetId,
  before: a.before,
  after: a.after,
  request_id: a.requestId,
  ip: a.ip,
  created_at: iso(a.createdAt)!,
});
