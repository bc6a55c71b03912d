import { Op, UniqueConstraintError, fn, col, where as sqlWhere, type Transaction, type WhereOptions } from 'sequelize';
import { errors, type TenantRole } from '@aihub/core/plugin-api';
import type { Clock, Database } from '@aihub/core/plugin-api';
import type { TenancyConfig } from './config';
import type { CachedTenantDirectory } from './directory';
import { ID_PREFIX, looksLikeId, newId } from './ids';
import type { TenancyModels } from './models';
import { decodeIdCursor, encodeIdCursor, pageSize } from './pagination';
import { MAX_PASSWORD_LENGTH, dummyVerify, hashPassword, lockDurationMs, verifyPasswordHash } from './password';
import { toMembership, toTeam, toTenant, toUser } from './records';
import { scopedRepository, withCrossTenantAccess, type TenantScope } from './scope';
import type { TenancyService } from './service';
import type {
  AddMembershipInput,
  CreateTenantInput,
  CreateUserInput,
  ListTenantsInput,
  ListUsersInput,
  LoginFailure,
  MemberLabel,
  MemberRecord,
  OwnerChange,
  OwnerListener,
  OwnerState,
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
import type { Membership, Team } from './models';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Normalizes an e-mail for storage and lookup (trimmed, lower-case). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintError;
}

/**
 * The tenancy data layer behind TENANCY. Methods take an optional transaction (the admin API runs a
 * change and its audit entry in one); teams and memberships go through the tenant-scoped repositories.
 */
export class TenancyStore implements TenancyService {
  readonly teams: TenantScope<Team>;
  readonly memberships: TenantScope<Membership>;

  constructor(
    private readonly db: Database,
    readonly models: TenancyModels,
    private readonly config: TenancyConfig,
    private readonly directory: CachedTenantDirectory,
    private readonly clock: Clock,
  ) {
    this.teams = scopedRepository(models.Team);
    this.memberships = scopedRepository(models.Membership);
  }

  /** Runs `fn` in a transaction (SQLite: serialized; PostgreSQL: READ COMMITTED). */
  transaction<T>(work: (t: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Case-insensitive substring match that needs no LIKE escaping (user input may contain % and _). */
  private contains(column: string, q: string): WhereOptions {
    const fnName = this.db.dialect === 'postgres' ? 'strpos' : 'instr';
    return sqlWhere(fn(fnName, fn('lower', col(column)), q.toLowerCase()), Op.gt, 0) as unknown as WhereOptions;
  }

  private afterCommit(t: Transaction | undefined, action: () => void): void {
    if (t) t.afterCommit(action);
    else action();
  }

  /**
   * Announces a change of a credential owner once it is committed. Sequelize awaits after-commit
   * hooks, so the route that made the change answers only when this instance's credentials (and the
   * cascades of its listeners) reflect it; other instances hear it over pub/sub.
   */
  private async announce(t: Transaction | undefined, change: OwnerChange): Promise<void> {
    if (t) t.afterCommit(() => this.directory.owners.emit(change));
    else await this.directory.owners.emit(change);
  }

  onOwnerChange(listener: OwnerListener): () => void {
    return this.directory.owners.on(listener);
  }

  async ownerState(userId: string): Promise<OwnerState | undefined> {
    if (!looksLikeId(userId)) return undefined;
    const user = await this.models.User.findByPk(userId, { attributes: ['id', 'status', 'superadmin'] });
    if (!user) return undefined;
    // Deliberately cross-tenant: the owner's role wherever its credentials may act.
    const rows = await withCrossTenantAccess(() => this.models.Membership.findAll({ where: { userId }, attributes: ['tenantId', 'role'] }));
    const roles: Record<string, TenantRole> = {};
    for (const r of rows) roles[r.tenantId] = r.role;
    return { status: user.status, superadmin: !!user.superadmin, roles: Object.freeze(roles) };
  }

  // ---- tenants -------------------------------------------------------------------------------

  getPlan(name: string): PlanDefinition | undefined {
    return Object.hasOwn(this.config.plans, name) ? this.config.plans[name] : undefined;
  }

  private checkPlan(plan: string): void {
    if (!this.getPlan(plan)) {
      throw errors.badRequest(`Unknown plan "${plan}"; use one of: ${Object.keys(this.config.plans).join(', ')}.`, 'unknown_plan', 'plan');
    }
  }

  async createTenant(input: CreateTenantInput, t?: Transaction): Promise<TenantRecord> {
    const plan = input.plan ?? this.config.defaultPlan;
    this.checkPlan(plan);
    try {
      const row = await this.models.Tenant.create(
        { id: newId(ID_PREFIX.tenant), slug: input.slug, name: input.name, status: input.status ?? 'active', plan, settings: input.settings ?? {} },
        { transaction: t },
      );
      return toTenant(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict(`A tenant with slug "${input.slug}" already exists; choose another slug.`, 'slug_taken');
      throw err;
    }
  }

  async getTenant(id: string, t?: Transaction): Promise<TenantRecord | undefined> {
    if (!looksLikeId(id)) return undefined;
    const row = await this.models.Tenant.findByPk(id, { transaction: t });
    return row ? toTenant(row) : undefined;
  }

  async getTenantBySlug(slug: string): Promise<TenantRecord | undefined> {
    if (slug.length > 63) return undefined;
    const row = await this.models.Tenant.findOne({ where: { slug: slug.toLowerCase() } });
    return row ? toTenant(row) : undefined;
  }

  async listTenants(input: ListTenantsInput = {}): Promise<Page<TenantRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.status) and.push({ status: input.status });
    if (input.q) and.push({ [Op.or]: [this.contains('name', input.q), this.contains('slug', input.q)] });
    const rows = await this.models.Tenant.findAll({ where: { [Op.and]: and }, order: [['id', 'ASC']], limit: limit + 1 });
    return page(rows.map(toTenant), limit);
  }

  async updateTenant(id: string, patch: UpdateTenantInput, t?: Transaction): Promise<TenantRecord> {
    const row = looksLikeId(id) ? await this.models.Tenant.findByPk(id, { transaction: t }) : null;
    if (!row) throw tenantNotFound();
    if (patch.plan !== undefined) this.checkPlan(patch.plan);
    const values: Record<string, unknown> = {};
    for (const k of ['name', 'slug', 'plan', 'status', 'settings'] as const) if (patch[k] !== undefined) values[k] = patch[k];
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict(`A tenant with slug "${patch.slug}" already exists; choose another slug.`, 'slug_taken');
      throw err;
    }
    this.afterCommit(t, () => this.directory.invalidate(id));
    return toTenant(row);
  }

  async deleteTenant(id: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(id)) return false;
    const run = async (tx: Transaction) => {
      await this.memberships.destroy(id, {}, { transaction: tx });
      await this.teams.destroy(id, {}, { transaction: tx });
      return (await this.models.Tenant.destroy({ where: { id }, transaction: tx })) > 0;
    };
    const deleted = t ? await run(t) : await this.db.transaction(run);
    if (deleted) {
      this.afterCommit(t, () => this.directory.invalidate(id));
      await this.announce(t, { kind: 'tenant', id, deleted: true });
    }
    return deleted;
  }

  // ---- users ---------------------------------------------------------------------------------

  private checkNewPassword(password: string): void {
    if (password.length < this.config.password.minLength || password.length > MAX_PASSWORD_LENGTH) {
      throw errors.badRequest(`Passwords must be ${this.config.password.minLength} to ${MAX_PASSWORD_LENGTH} characters long.`, 'invalid_password', 'password');
    }
  }

  private checkEmail(email: string): string {
    const normalized = normalizeEmail(email);
    if (normalized.length > 254 || !EMAIL.test(normalized)) throw errors.badRequest('email must be an e-mail address of at most 254 characters.', 'invalid_email', 'email');
    return normalized;
  }

  async createUser(input: CreateUserInput, t?: Transaction): Promise<UserRecord> {
    const email = this.checkEmail(input.email);
    if (input.password !== undefined) this.checkNewPassword(input.password);
    const passwordHash = input.password !== undefined ? await hashPassword(input.password, this.config.password.scryptN) : null;
    try {
      const row = await this.models.User.create(
        { id: newId(ID_PREFIX.user), email, passwordHash, status: input.status ?? 'active', superadmin: input.superadmin ?? false, lockedUntil: null, lastLoginAt: null },
        { transaction: t },
      );
      return toUser(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict('A user with this e-mail already exists.', 'email_taken');
      throw err;
    }
  }

  async getUser(id: string, t?: Transaction): Promise<UserRecord | undefined> {
    if (!looksLikeId(id)) return undefined;
    const row = await this.models.User.findByPk(id, { transaction: t });
    return row ? toUser(row) : undefined;
  }

  async findUserByEmail(email: string, t?: Transaction): Promise<UserRecord | undefined> {
    const normalized = normalizeEmail(email);
    if (normalized.length > 254) return undefined;
    const row = await this.models.User.findOne({ where: { email: normalized }, transaction: t });
    return row ? toUser(row) : undefined;
  }

  async listUsers(input: ListUsersInput = {}): Promise<Page<UserRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.status) and.push({ status: input.status });
    if (input.q) and.push(this.contains('email', input.q));
    const rows = await this.models.User.findAll({ where: { [Op.and]: and }, order: [['id', 'ASC']], limit: limit + 1 });
    return page(rows.map(toUser), limit);
  }

  async updateUser(id: string, patch: UpdateUserInput, t?: Transaction): Promise<UserRecord> {
    const row = looksLikeId(id) ? await this.models.User.findByPk(id, { transaction: t }) : null;
    if (!row) throw errors.notFound('No such user.', 'user_not_found');
    const values: Record<string, unknown> = {};
    if (patch.email !== undefined) values.email = this.checkEmail(patch.email);
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.superadmin !== undefined) values.superadmin = patch.superadmin;
    if (patch.displayName !== undefined) values.displayName = patch.displayName;
    if (patch.preferredLanguage !== undefined) values.preferredLanguage = patch.preferredLanguage;
    if (patch.password === null) values.passwordHash = null;
    else if (patch.password !== undefined) {
      this.checkNewPassword(patch.password);
      values.passwordHash = await hashPassword(patch.password, this.config.password.scryptN);
      // A new password ends a lockout: the admin who set it vouches for the account.
      values.failedLogins = 0;
      values.lockedUntil = null;
    }
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict('A user with this e-mail already exists.', 'email_taken');
      throw err;
    }
    if (patch.status !== undefined || patch.superadmin !== undefined) await this.announce(t, { kind: 'user', id, deleted: false });
    return toUser(row);
  }

  async deleteUser(id: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(id)) return false;
    const run = async (tx: Transaction) => {
      // A user's memberships span tenants: removing them is a platform operation by nature.
      await withCrossTenantAccess(() => this.models.Membership.destroy({ where: { userId: id }, transaction: tx }));
      return (await this.models.User.destroy({ where: { id }, transaction: tx })) > 0;
    };
    const deleted = t ? await run(t) : await this.db.transaction(run);
    if (deleted) await this.announce(t, { kind: 'user', id, deleted: true });
    return deleted;
  }

  async countUsers(): Promise<number> {
    return this.models.User.count();
  }

  verifyPassword(user: UserRecord, password: string): Promise<boolean> {
    return verifyPasswordHash(user.passwordHash, password);
  }

  dummyVerify(): Promise<false> {
    return dummyVerify();
  }

  async recordLoginFailure(userId: string): Promise<LoginFailure> {
    return this.db.transaction(async (t) => {
      const row = looksLikeId(userId) ? await this.models.User.findByPk(userId, { transaction: t, lock: t.LOCK.UPDATE }) : null;
      if (!row) return { failedLogins: 0, lockedUntil: null };
      const failedLogins = Number(row.failedLogins ?? 0) + 1;
      const lockMs = lockDurationMs(failedLogins, this.config.lockout);
      const lockedUntil = lockMs > 0 ? new Date(this.clock.now() + lockMs) : row.lockedUntil ?? null;
      await row.update({ failedLogins, lockedUntil }, { transaction: t });
      return { failedLogins, lockedUntil };
    });
  }

  async recordLoginSuccess(userId: string): Promise<void> {
    if (!looksLikeId(userId)) return;
    await this.models.User.update({ failedLogins: 0, lockedUntil: null, lastLoginAt: new Date(this.clock.now()) }, { where: { id: userId } });
  }

  isLocked(user: UserRecord): boolean {
    return user.lockedUntil !== null && user.lockedUntil.getTime() > this.clock.now();
  }

  // ---- memberships ---------------------------------------------------------------------------

  private async checkTeam(tenantId: string, teamId: string | null | undefined, t?: Transaction): Promise<void> {
    if (teamId === null || teamId === undefined) return;
    const team = looksLikeId(teamId) ? await this.teams.findById(tenantId, teamId, { transaction: t }) : null;
    if (!team) throw errors.badRequest('team_id is not a team of this tenant.', 'team_not_found', 'team_id');
  }

  async addMembership(input: AddMembershipInput, t?: Transaction): Promise<MembershipRecord> {
    await this.checkTeam(input.tenantId, input.teamId, t);
    try {
      const row = await this.memberships.create(
        input.tenantId,
        { id: newId(ID_PREFIX.membership), userId: input.userId, role: input.role, teamId: input.teamId ?? null },
        { transaction: t },
      );
      // A cached "not a member" must not outlive the membership (the user's credentials now reach this tenant).
      await this.announce(t, { kind: 'user', id: input.userId, deleted: false });
      return toMembership(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict('This user is already a member of the tenant; change the role with PATCH instead.', 'membership_exists');
      throw err;
    }
  }

  async getMembership(tenantId: string, userId: string, t?: Transaction): Promise<MembershipRecord | undefined> {
    if (!looksLikeId(userId)) return undefined;
    const row = await this.memberships.findOne(tenantId, { where: { userId }, transaction: t });
    return row ? toMembership(row) : undefined;
  }

  async updateMembership(tenantId: string, userId: string, patch: UpdateMembershipInput, t?: Transaction): Promise<MembershipRecord> {
    const row = looksLikeId(userId) ? await this.memberships.findOne(tenantId, { where: { userId }, transaction: t }) : null;
    if (!row) throw errors.notFound('This user is not a member of the tenant.', 'member_not_found');
    if (patch.teamId !== undefined) await this.checkTeam(tenantId, patch.teamId, t);
    const values: Partial<Pick<Membership, 'role' | 'teamId'>> = {};
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.teamId !== undefined) values.teamId = patch.teamId;
    await row.update(values, { transaction: t });
    if (patch.role !== undefined) await this.announce(t, { kind: 'user', id: userId, deleted: false });
    return toMembership(row);
  }

  async removeMembership(tenantId: string, userId: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(userId)) return false;
    const removed = (await this.memberships.destroy(tenantId, { userId }, { transaction: t })) > 0;
    if (removed) await this.announce(t, { kind: 'user', id: userId, deleted: false });
    return removed;
  }

  /** Number of owners of a tenant (the last owner may not be removed or demoted). */
  async countOwners(tenantId: string, t?: Transaction): Promise<number> {
    return this.memberships.count(tenantId, { where: { role: 'owner' }, transaction: t });
  }

  async membershipsOf(userId: string): Promise<MembershipWithTenant[]> {
    if (!looksLikeId(userId)) return [];
    // Deliberately cross-tenant: the user's own memberships in every tenant.
    const rows = await withCrossTenantAccess(() => this.models.Membership.findAll({ where: { userId }, order: [['id', 'ASC']] }));
    if (!rows.length) return [];
    const tenants = await this.models.Tenant.findAll({ where: { id: { [Op.in]: rows.map((r) => r.tenantId) } } });
    const byId = new Map(tenants.map((x) => [x.id, x]));
    const out: MembershipWithTenant[] = [];
    for (const r of rows) {
      const tenant = byId.get(r.tenantId);
      if (tenant) out.push({ ...toMembership(r), tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status } });
    }
    return out;
  }

  async listMembers(tenantId: string, input: PageRequest & { role?: TenantRole; teamId?: string } = {}): Promise<Page<MemberRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const filter: WhereOptions = {};
    if (after) Object.assign(filter, { id: { [Op.gt]: after } });
    if (input.role) Object.assign(filter, { role: input.role });
    if (input.teamId) Object.assign(filter, { teamId: input.teamId });
    const rows = await this.memberships.findAll(tenantId, { where: filter, order: [['id', 'ASC']], limit: limit + 1 });
    const users = rows.length ? await this.models.User.findAll({ where: { id: { [Op.in]: rows.map((r) => r.userId) } } }) : [];
    const byId = new Map(users.map((u) => [u.id, u]));
    const members = rows.map((r) => ({ ...toMembership(r), email: byId.get(r.userId)?.email ?? '', userStatus: byId.get(r.userId)?.status ?? 'disabled' }));
    return page(members, limit);
  }

  async memberLabels(tenantId: string, userIds: readonly string[]): Promise<Map<string, MemberLabel>> {
    const ids = [...new Set(userIds)].filter(looksLikeId);
    const labels = new Map<string, MemberLabel>();
    if (!ids.length) return labels;
    const rows = await this.memberships.findAll(tenantId, { where: { userId: { [Op.in]: ids } }, attributes: ['userId'] });
    if (!rows.length) return labels;
    const users = await this.models.User.findAll({ where: { id: { [Op.in]: rows.map((r) => r.userId) } }, attributes: ['id', 'email', 'displayName'] });
    for (const u of users) labels.set(u.id, { email: u.email, displayName: u.displayName ?? null });
    return labels;
  }

  async roleOf(userId: string, tenantId: string): Promise<TenantRole | undefined> {
    return (await this.getMembership(tenantId, userId))?.role;
  }

  // ---- teams ---------------------------------------------------------------------------------

  async createTeam(tenantId: string, input: { name: string; description?: string | null }, t?: Transaction): Promise<TeamRecord> {
    try {
      const row = await this.teams.create(tenantId, { id: newId(ID_PREFIX.team), name: input.name, description: input.description ?? null }, { transaction: t });
      return toTeam(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict(`A team named "${input.name}" already exists in this tenant.`, 'team_name_taken');
      throw err;
    }
  }

  async getTeam(tenantId: string, teamId: string, t?: Transaction): Promise<TeamRecord | undefined> {
    if (!looksLikeId(teamId)) return undefined;
    const row = await this.teams.findById(tenantId, teamId, { transaction: t });
    return row ? toTeam(row) : undefined;
  }

  async listTeams(tenantId: string, input: PageRequest & { q?: string } = {}): Promise<Page<TeamRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.q) and.push(this.contains('name', input.q));
    const rows = await this.teams.findAll(tenantId, { where: { [Op.and]: and }, order: [['id', 'ASC']], limit: limit + 1 });
    return page(rows.map(toTeam), limit);
  }

  async updateTeam(tenantId: string, teamId: string, patch: { name?: string; description?: string | null }, t?: Transaction): Promise<TeamRecord> {
    const row = looksLikeId(teamId) ? await this.teams.findById(tenantId, teamId, { transaction: t }) : null;
    if (!row) throw errors.notFound('No such team in this tenant.', 'team_not_found');
    const values: Partial<Pick<Team, 'name' | 'description'>> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err)) throw errors.conflict(`A team named "${patch.name}" already exists in this tenant.`, 'team_name_taken');
      throw err;
    }
    return toTeam(row);
  }

  async deleteTeam(tenantId: string, teamId: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(teamId)) return false;
    const run = async (tx: Transaction) => {
      await this.memberships.update(tenantId, { teamId }, { teamId: null }, { transaction: tx });
      return (await this.teams.destroy(tenantId, { id: teamId }, { transaction: tx })) > 0;
    };
    return t ? run(t) : this.db.transaction(run);
  }
}

/** The one answer for "no such tenant" and "not your tenant": existence must not leak. */
export function tenantNotFound() {
  return errors.notFound('No such tenant (or it is not yours).', 'tenant_not_found');
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, nextCursor: more ? encodeIdCursor(data[data.length - 1].id) : null };
}
