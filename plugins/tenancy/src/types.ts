import type { BudgetSettings, LimitSettings, TenantRole, TenantSettings } from '@aihub/core/plugin-api';

export type TenantStatus = 'active' | 'suspended';
export type UserStatus = 'active' | 'disabled';

/** A tenant row as the service returns it. */
export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  plan: string;
  settings: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A user row. `passwordHash` is here so the auth plugin can call `verifyPassword(user, …)`; never
 * return it to a client (the admin API serializes users without it).
 */
export interface UserRecord {
  id: string;
  /** Always lower-case. */
  email: string;
  passwordHash: string | null;
  status: UserStatus;
  superadmin: boolean;
  failedLogins: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  /** How the console greets the user; null: the e-mail. */
  displayName: string | null;
  /** BCP 47 language tag the console starts in (en, zh-CN); null: the browser's. */
  preferredLanguage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TeamRecord {
  id: string;
  tenantId: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MembershipRecord {
  id: string;
  tenantId: string;
  userId: string;
  role: TenantRole;
  teamId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A membership with the tenant it belongs to (for `/admin/v1/me` and console tenant pickers). */
export interface MembershipWithTenant extends MembershipRecord {
  tenant: { id: string; slug: string; name: string; status: TenantStatus };
}

/** A membership with the member's e-mail (tenant member lists). */
export interface MemberRecord extends MembershipRecord {
  email: string;
  userStatus: UserStatus;
}

/** How a list names a member: e-mail, and the display name when the user set one. */
export interface MemberLabel {
  email: string;
  displayName: string | null;
}

export interface AuditRecord {
  id: string;
  tenantId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
  createdAt: Date;
}

/** One page of a cursor-paginated list. `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
  /** Page size, 1–200 (default 50). */
  limit?: number;
}

/** Bounds a plan puts on tenant limits and budgets; other plugins read them through PLAN_BOUNDS. */
export interface PlanDefinition {
  limits: LimitSettings;
  budgets: BudgetSettings;
}

/** Result of a failed login attempt. */
export interface LoginFailure {
  failedLogins: number;
  /** Set once the failure count reached the threshold. */
  lockedUntil: Date | null;
}

export interface CreateTenantInput {
  name: string;
  slug: string;
  plan?: string;
  settings?: TenantSettings;
  status?: TenantStatus;
}

export interface UpdateTenantInput {
  name?: string;
  slug?: string;
  plan?: string;
  status?: TenantStatus;
  /** Replaces the whole settings object (use `patchSettings` semantics in the admin API for merges). */
  settings?: TenantSettings;
}

export interface ListTenantsInput extends PageRequest {
  status?: TenantStatus;
  /** Case-insensitive substring of name or slug. */
  q?: string;
}

export interface CreateUserInput {
  email: string;
  /** Plain-text password; hashed with scrypt. Omit for users who sign in another way (or not yet). */
  password?: string;
  superadmin?: boolean;
  status?: UserStatus;
}

export interface UpdateUserInput {
  email?: string;
  /** A new password (hashed); `null` removes the password. */
  password?: string | null;
  superadmin?: boolean;
  status?: UserStatus;
  displayName?: string | null;
  preferredLanguage?: string | null;
}

export interface ListUsersInput extends PageRequest {
  status?: UserStatus;
  /** Case-insensitive substring of the e-mail. */
  q?: string;
}

export interface AddMembershipInput {
  tenantId: string;
  userId: string;
  role: TenantRole;
  teamId?: string | null;
}

export interface UpdateMembershipInput {
  role?: TenantRole;
  teamId?: string | null;
}

export interface ListAuditInput extends PageRequest {
  /** Only entries of this tenant; `undefined` = every tenant (platform audit, superadmin only). */
  tenantId?: string | null;
  action?: string;
  /** Actor id (user id, key id or client id). */
  actor?: string;
  targetType?: string;
  /** Only entries about this target id (with or without targetType). */
  targetId?: string;
  since?: Date;
  until?: Date;
}

/**
 * Who did something, for service calls made outside an HTTP request (bootstrap, CLI). Inside a
 * request, pass the Koa context and the actor is read from the Principal.
 */
export interface AuditActor {
  type: string;
  id: string | null;
  requestId?: string | null;
  ip?: string | null;
}

/** What a credential's owner may do now: read by the auth plugin to re-validate keys and tokens. */
export interface OwnerState {
  status: UserStatus;
  superadmin: boolean;
  /** The user's role in each tenant it belongs to, by tenant id. */
  roles: Readonly<Record<string, TenantRole>>;
}

/**
 * A change that may take powers away from credentials: a user changed (status, superadmin flag) or
 * was deleted, a membership of the user changed (role, added, removed), or a tenant was deleted.
 */
export type OwnerChange =
  { kind: 'user'; id: string; deleted: boolean } | { kind: 'tenant'; id: string; deleted: boolean };

/**
 * `origin` is `local` on the instance that made the change (awaited after its commit: the place for
 * durable cascades, done once) and `remote` on every other instance (drop caches only).
 */
export type OwnerListener = (change: OwnerChange, origin: 'local' | 'remote') => void | Promise<void>;
