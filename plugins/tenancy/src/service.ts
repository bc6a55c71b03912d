import { createToken, type TenantRole } from '@aihub/core/plugin-api';
import type {
  AddMembershipInput,
  CreateTenantInput,
  CreateUserInput,
  ListTenantsInput,
  ListUsersInput,
  LoginFailure,
  OwnerListener,
  OwnerState,
  MemberLabel,
  MemberRecord,
  MembershipRecord,
  MembershipWithTenant,
  Page,
  PageRequest,
  PlanDefinition,
  TeamRecord,
  TenantRecord,
  UpdateMembershipInput,
  UpdateTenantInput,
  UpdateUserInput,
  UserRecord,
} from './types';

/**
 * The tenancy service other plugins (auth first) use: tenants, users, passwords, lockout and
 * memberships. Tenant-owned data (teams, memberships) is only reachable with a tenant id.
 * Writes here do not record audit entries: callers that act for a client record them through
 * AUDIT_LOG (the admin API of this plugin does, in the same transaction).
 *
 * Errors are GatewayErrors: 409 `slug_taken` / `email_taken` / `membership_exists`, 404 `*_not_found`,
 * 400 `unknown_plan` / `team_not_found`.
 */
export interface TenancyService {
  createTenant(input: CreateTenantInput): Promise<TenantRecord>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  getTenantBySlug(slug: string): Promise<TenantRecord | undefined>;
  listTenants(input?: ListTenantsInput): Promise<Page<TenantRecord>>;
  /** Updates and invalidates the tenant in every instance's directory cache. */
  updateTenant(id: string, patch: UpdateTenantInput): Promise<TenantRecord>;
  /** Deletes the tenant with its teams and memberships; audit entries are kept. */
  deleteTenant(id: string): Promise<boolean>;
  /**
   * This plugin's own bounds of a plan (its config), or undefined for an unknown plan. Other plugins
   * use PLAN_BOUNDS instead: combined with contributed bounds and a tenant's `settings.bounds`.
   */
  getPlan(name: string): PlanDefinition | undefined;

  createUser(input: CreateUserInput): Promise<UserRecord>;
  getUser(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  listUsers(input?: ListUsersInput): Promise<Page<UserRecord>>;
  updateUser(id: string, patch: UpdateUserInput): Promise<UserRecord>;
  /** Deletes the user and its memberships in every tenant. */
  deleteUser(id: string): Promise<boolean>;
  /** Number of users (bootstrap: "is this an empty database?"). */
  countUsers(): Promise<number>;

  /**
   * Timing-safe scrypt check. Costs the same when the user has no password, so callers can treat
   * "no such user" with `dummyVerify()` and "wrong password" alike.
   */
  verifyPassword(user: UserRecord, password: string): Promise<boolean>;
  /** Costs what `verifyPassword` costs and resolves false (for an unknown e-mail). */
  dummyVerify(): Promise<false>;
  /** Counts a failed login; locks the user (exponential backoff) once the threshold is reached. */
  recordLoginFailure(userId: string): Promise<LoginFailure>;
  /** Resets the failure count and the lock, stamps last_login_at. */
  recordLoginSuccess(userId: string): Promise<void>;
  isLocked(user: UserRecord): boolean;

  addMembership(input: AddMembershipInput): Promise<MembershipRecord>;
  updateMembership(tenantId: string, userId: string, patch: UpdateMembershipInput): Promise<MembershipRecord>;
  removeMembership(tenantId: string, userId: string): Promise<boolean>;
  /** Every tenant the user belongs to, with its role there. */
  membershipsOf(userId: string): Promise<MembershipWithTenant[]>;
  listMembers(tenantId: string, page?: PageRequest & { role?: TenantRole }): Promise<Page<MemberRecord>>;
  getMembership(tenantId: string, userId: string): Promise<MembershipRecord | undefined>;
  /**
   * The e-mail and display name of each of `userIds` that is a member of the tenant (a page of a
   * list at a time: two indexed reads whatever the count). A user who is not a member is absent, so
   * no other tenant's people are named.
   */
  memberLabels(tenantId: string, userIds: readonly string[]): Promise<Map<string, MemberLabel>>;
  /** The user's role in the tenant, or undefined when not a member. */
  roleOf(userId: string, tenantId: string): Promise<TenantRole | undefined>;

  /**
   * The user's status, superadmin flag and roles (two indexed reads): what a key or token of this
   * user may still do. Undefined when the user does not exist.
   */
  ownerState(userId: string): Promise<OwnerState | undefined>;
  /**
   * Listens for changes of users, memberships and tenant deletions, on this instance (`local`, after
   * the commit, awaited) and on every other instance (`remote`).
   */
  onOwnerChange(listener: OwnerListener): () => void;

  createTeam(tenantId: string, input: { name: string; description?: string | null }): Promise<TeamRecord>;
  getTeam(tenantId: string, teamId: string): Promise<TeamRecord | undefined>;
  listTeams(tenantId: string, page?: PageRequest & { q?: string }): Promise<Page<TeamRecord>>;
  updateTeam(
    tenantId: string,
    teamId: string,
    patch: { name?: string; description?: string | null },
  ): Promise<TeamRecord>;
  /** Deletes the team; memberships in it keep their tenant and lose the team. */
  deleteTeam(tenantId: string, teamId: string): Promise<boolean>;
}

/** The tenancy service, provided by `@aihub/plugin-tenancy` (`ctx.get(TENANCY)` in a dependent plugin). */
export const TENANCY = createToken<TenancyService>('tenancy.service');
