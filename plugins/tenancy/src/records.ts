import type { TenantContext } from '@aihub/core/plugin-api';
import type { AuditEntryRow, Membership, Team, Tenant, User } from './models';
import type { AuditRecord, MembershipRecord, TeamRecord, TenantRecord, UserRecord } from './types';

/** Plain records out of model instances, so callers never hold (and accidentally save) a model. */
export const toTenant = (m: Tenant): TenantRecord => ({
  id: m.id,
  slug: m.slug,
  name: m.name,
  status: m.status,
  plan: m.plan,
  settings: parseJson(m.settings) ?? {},
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

export const toUser = (m: User): UserRecord => ({
  id: m.id,
  email: m.email,
  passwordHash: m.passwordHash,
  status: m.status,
  superadmin: Boolean(m.superadmin),
  failedLogins: Number(m.failedLogins ?? 0),
  lockedUntil: m.lockedUntil ?? null,
  lastLoginAt: m.lastLoginAt ?? null,
  displayName: m.displayName ?? null,
  preferredLanguage: m.preferredLanguage ?? null,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

export const toTeam = (m: Team): TeamRecord => ({
  id: m.id,
  tenantId: m.tenantId,
  name: m.name,
  description: m.description ?? null,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

export const toMembership = (m: Membership): MembershipRecord => ({
  id: m.id,
  tenantId: m.tenantId,
  userId: m.userId,
  role: m.role,
  teamId: m.teamId ?? null,
  createdAt: m.createdAt,
  updatedAt: m.updatedAt,
});

export const toAudit = (m: AuditEntryRow): AuditRecord => ({
  id: m.id,
  tenantId: m.tenantId ?? null,
  actorType: m.actorType,
  actorId: m.actorId ?? null,
  action: m.action,
  targetType: m.targetType,
  targetId: m.targetId ?? null,
  before: parseJson(m.before) ?? null,
  after: parseJson(m.after) ?? null,
  requestId: m.requestId ?? null,
  ip: m.ip ?? null,
  createdAt: m.createdAt,
});

/** What other plugins see of a tenant (TenantKey, TenantDirectory). */
export const toTenantContext = (t: TenantRecord): TenantContext => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  status: t.status,
  plan: t.plan,
  settings: t.settings,
});

/** JSON columns come back parsed from PostgreSQL and, depending on the driver path, as text from SQLite. */
function parseJson<T>(value: T | string | null | undefined): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return value as T;
    }
  }
  return value;
}
