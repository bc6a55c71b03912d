import type { Transaction } from 'sequelize';
import type { Clock, Database, TenantRole } from '@aihub/core/plugin-api';
import type { TenancyConfig } from './config';
import type { CachedTenantDirectory } from './directory';
import type { TenancyModels } from './models';
import { scopedRepository } from './scope';
import type { TenancyService } from './service';
import { LoginLockout } from './store/LoginLockout';
import { MembershipStore } from './store/MembershipStore';
import { TeamStore } from './store/TeamStore';
import { TenantStore } from './store/TenantStore';
import { UserStore } from './store/UserStore';
import type {
  AddMembershipInput,
  CreateTenantInput,
  CreateUserInput,
  ListTenantsInput,
  ListUsersInput,
  LoginFailure,
  MemberLabel,
  MemberRecord,
  MembershipRecord,
  MembershipWithTenant,
  OwnerListener,
  OwnerState,
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
 * The tenancy data layer: one store per entity (tenants, users, login lockout, memberships, teams),
 * each taking an optional transaction (the admin API runs a change and its audit entry in one).
 * This plugin's own code uses the stores; other plugins get the flat TENANCY service, which this
 * class implements by delegating to them.
 */
export class TenancyStore implements TenancyService {
  readonly tenants: TenantStore;
  readonly users: UserStore;
  readonly lockout: LoginLockout;
  readonly memberships: MembershipStore;
  readonly teams: TeamStore;

  constructor(
    private readonly db: Database,
    readonly models: TenancyModels,
    config: TenancyConfig,
    private readonly directory: CachedTenantDirectory,
    clock: Clock,
  ) {
    const scoped = { teams: scopedRepository(models.Team), memberships: scopedRepository(models.Membership) };
    this.tenants = new TenantStore(db, models, config, directory, scoped);
    this.users = new UserStore(db, models, config, directory);
    this.lockout = new LoginLockout(db, models, config, clock);
    this.memberships = new MembershipStore(models, directory, scoped.memberships, scoped.teams);
    this.teams = new TeamStore(db, scoped.teams, scoped.memberships);
  }

  /** Runs `fn` in a transaction (SQLite: serialized; PostgreSQL: READ COMMITTED). */
  transaction<T>(work: (t: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  onOwnerChange(listener: OwnerListener): () => void {
    return this.directory.owners.on(listener);
  }

  // ---- the TENANCY service, for other plugins ----------------------------------------------------

  getPlan(name: string): PlanDefinition | undefined {
    return this.tenants.plan(name);
  }
  createTenant(input: CreateTenantInput, t?: Transaction): Promise<TenantRecord> {
    return this.tenants.create(input, t);
  }
  getTenant(id: string, t?: Transaction): Promise<TenantRecord | undefined> {
    return this.tenants.get(id, t);
  }
  getTenantBySlug(slug: string): Promise<TenantRecord | undefined> {
    return this.tenants.bySlug(slug);
  }
  listTenants(input?: ListTenantsInput): Promise<Page<TenantRecord>> {
    return this.tenants.list(input);
  }
  updateTenant(id: string, patch: UpdateTenantInput, t?: Transaction): Promise<TenantRecord> {
    return this.tenants.update(id, patch, t);
  }
  deleteTenant(id: string, t?: Transaction): Promise<boolean> {
    return this.tenants.delete(id, t);
  }

  createUser(input: CreateUserInput, t?: Transaction): Promise<UserRecord> {
    return this.users.create(input, t);
  }
  getUser(id: string, t?: Transaction): Promise<UserRecord | undefined> {
    return this.users.get(id, t);
  }
  findUserByEmail(email: string, t?: Transaction): Promise<UserRecord | undefined> {
    return this.users.byEmail(email, t);
  }
  listUsers(input?: ListUsersInput): Promise<Page<UserRecord>> {
    return this.users.list(input);
  }
  updateUser(id: string, patch: UpdateUserInput, t?: Transaction): Promise<UserRecord> {
    return this.users.update(id, patch, t);
  }
  deleteUser(id: string, t?: Transaction): Promise<boolean> {
    return this.users.delete(id, t);
  }
  countUsers(): Promise<number> {
    return this.users.count();
  }
  verifyPassword(user: UserRecord, password: string): Promise<boolean> {
    return this.users.verifyPassword(user, password);
  }
  dummyVerify(): Promise<false> {
    return this.users.dummyVerify();
  }

  recordLoginFailure(userId: string): Promise<LoginFailure> {
    return this.lockout.recordFailure(userId);
  }
  recordLoginSuccess(userId: string): Promise<void> {
    return this.lockout.recordSuccess(userId);
  }
  isLocked(user: UserRecord): boolean {
    return this.lockout.isLocked(user);
  }

  addMembership(input: AddMembershipInput, t?: Transaction): Promise<MembershipRecord> {
    return this.memberships.add(input, t);
  }
  getMembership(tenantId: string, userId: string, t?: Transaction): Promise<MembershipRecord | undefined> {
    return this.memberships.get(tenantId, userId, t);
  }
  updateMembership(
    tenantId: string,
    userId: string,
    patch: UpdateMembershipInput,
    t?: Transaction,
  ): Promise<MembershipRecord> {
    return this.memberships.update(tenantId, userId, patch, t);
  }
  removeMembership(tenantId: string, userId: string, t?: Transaction): Promise<boolean> {
    return this.memberships.remove(tenantId, userId, t);
  }
  membershipsOf(userId: string): Promise<MembershipWithTenant[]> {
    return this.memberships.of(userId);
  }
  listMembers(
    tenantId: string,
    input?: PageRequest & { role?: TenantRole; teamId?: string },
  ): Promise<Page<MemberRecord>> {
    return this.memberships.listMembers(tenantId, input);
  }
  memberLabels(tenantId: string, userIds: readonly string[]): Promise<Map<string, MemberLabel>> {
    return this.memberships.labels(tenantId, userIds);
  }
  roleOf(userId: string, tenantId: string): Promise<TenantRole | undefined> {
    return this.memberships.roleOf(userId, tenantId);
  }
  ownerState(userId: string): Promise<OwnerState | undefined> {
    return this.memberships.ownerState(userId);
  }

  createTeam(
    tenantId: string,
    input: { name: string; description?: string | null },
    t?: Transaction,
  ): Promise<TeamRecord> {
    return this.teams.create(tenantId, input, t);
  }
  getTeam(tenantId: string, teamId: string, t?: Transaction): Promise<TeamRecord | undefined> {
    return this.teams.get(tenantId, teamId, t);
  }
  listTeams(tenantId: string, input?: PageRequest & { q?: string }): Promise<Page<TeamRecord>> {
    return this.teams.list(tenantId, input);
  }
  updateTeam(
    tenantId: string,
    teamId: string,
    patch: { name?: string; description?: string | null },
    t?: Transaction,
  ): Promise<TeamRecord> {
    return this.teams.update(tenantId, teamId, patch, t);
  }
  deleteTeam(tenantId: string, teamId: string, t?: Transaction): Promise<boolean> {
    return this.teams.delete(tenantId, teamId, t);
  }
}
