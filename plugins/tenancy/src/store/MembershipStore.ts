import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { CoreErrors, errors, type TenantRole } from '@aihub/core/plugin-api';
import type { CachedTenantDirectory } from '../directory';
import { ID_PREFIX, looksLikeId, newId } from '../ids';
import type { Membership, Team, TenancyModels } from '../models';
import { decodeIdCursor, pageSize } from '../pagination';
import { toMembership } from '../records';
import { withCrossTenantAccess, type TenantScope } from '../scope';
import type {
  AddMembershipInput,
  MemberLabel,
  MemberRecord,
  MembershipRecord,
  MembershipWithTenant,
  OwnerState,
  Page,
  PageRequest,
  UpdateMembershipInput,
} from '../types';
import { announce, isUniqueViolation, page } from './shared';
import { TenancyErrors } from '../errors';

/**
 * Who belongs to which tenant, with which role and team. Tenant-owned: queries go through the
 * tenant-scoped repository, except the few that are a user's own view across tenants (marked).
 * A change is announced so cached credentials of the user follow it.
 */
export class MembershipStore {
  constructor(
    private readonly models: TenancyModels,
    private readonly directory: CachedTenantDirectory,
    private readonly memberships: TenantScope<Membership>,
    private readonly teams: TenantScope<Team>,
  ) {}

  private async checkTeam(tenantId: string, teamId: string | null | undefined, t?: Transaction): Promise<void> {
    if (teamId === null || teamId === undefined) return;
    const team = looksLikeId(teamId) ? await this.teams.findById(tenantId, teamId, { transaction: t }) : null;
    if (!team) throw errors.badRequest('team_id is not a team of this tenant.', 'team_not_found', 'team_id');
  }

  async add(input: AddMembershipInput, t?: Transaction): Promise<MembershipRecord> {
    await this.checkTeam(input.tenantId, input.teamId, t);
    try {
      const row = await this.memberships.create(
        input.tenantId,
        { id: newId(ID_PREFIX.membership), userId: input.userId, role: input.role, teamId: input.teamId ?? null },
        { transaction: t },
      );
      // A cached "not a member" must not outlive the membership (the user's credentials now reach this tenant).
      await announce(this.directory, t, { kind: 'user', id: input.userId, deleted: false });
      return toMembership(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw TenancyErrors.create(
          'membership_exists',
          'This user is already a member of the tenant; change the role with PATCH instead.',
        );
      throw err;
    }
  }

  async get(tenantId: string, userId: string, t?: Transaction): Promise<MembershipRecord | undefined> {
    if (!looksLikeId(userId)) return undefined;
    const row = await this.memberships.findOne(tenantId, { where: { userId }, transaction: t });
    return row ? toMembership(row) : undefined;
  }

  async update(
    tenantId: string,
    userId: string,
    patch: UpdateMembershipInput,
    t?: Transaction,
  ): Promise<MembershipRecord> {
    const row = looksLikeId(userId)
      ? await this.memberships.findOne(tenantId, { where: { userId }, transaction: t })
      : null;
    if (!row) throw CoreErrors.create('member_not_found', 'This user is not a member of the tenant.');
    if (patch.teamId !== undefined) await this.checkTeam(tenantId, patch.teamId, t);
    const values: Partial<Pick<Membership, 'role' | 'teamId'>> = {};
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.teamId !== undefined) values.teamId = patch.teamId;
    await row.update(values, { transaction: t });
    if (patch.role !== undefined) await announce(this.directory, t, { kind: 'user', id: userId, deleted: false });
    return toMembership(row);
  }

  async remove(tenantId: string, userId: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(userId)) return false;
    const removed = (await this.memberships.destroy(tenantId, { userId }, { transaction: t })) > 0;
    if (removed) await announce(this.directory, t, { kind: 'user', id: userId, deleted: false });
    return removed;
  }

  /** Number of owners of a tenant (the last owner may not be removed or demoted). */
  async countOwners(tenantId: string, t?: Transaction): Promise<number> {
    return this.memberships.count(tenantId, { where: { role: 'owner' }, transaction: t });
  }

  /** Every tenant the user belongs to, with its role there. */
  async of(userId: string): Promise<MembershipWithTenant[]> {
    if (!looksLikeId(userId)) return [];
    // Deliberately cross-tenant: the user's own memberships in every tenant.
    const rows = await withCrossTenantAccess(() =>
      this.models.Membership.findAll({ where: { userId }, order: [['id', 'ASC']] }),
    );
    if (!rows.length) return [];
    const tenants = await this.models.Tenant.findAll({ where: { id: { [Op.in]: rows.map((r) => r.tenantId) } } });
    const byId = new Map(tenants.map((x) => [x.id, x]));
    const out: MembershipWithTenant[] = [];
    for (const r of rows) {
      const tenant = byId.get(r.tenantId);
      if (tenant)
        out.push({
          ...toMembership(r),
          tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status },
        });
    }
    return out;
  }

  /** A credential owner's status and its role in every tenant (what cached credentials are checked against). */
  async ownerState(userId: string): Promise<OwnerState | undefined> {
    if (!looksLikeId(userId)) return undefined;
    const user = await this.models.User.findByPk(userId, { attributes: ['id', 'status', 'superadmin'] });
    if (!user) return undefined;
    // Deliberately cross-tenant: the owner's role wherever its credentials may act.
    const rows = await withCrossTenantAccess(() =>
      this.models.Membership.findAll({ where: { userId }, attributes: ['tenantId', 'role'] }),
    );
    const roles: Record<string, TenantRole> = {};
    for (const r of rows) roles[r.tenantId] = r.role;
    return { status: user.status, superadmin: !!user.superadmin, roles: Object.freeze(roles) };
  }

  async listMembers(
    tenantId: string,
    input: PageRequest & { role?: TenantRole; teamId?: string } = {},
  ): Promise<Page<MemberRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const filter: WhereOptions = {};
    if (after) Object.assign(filter, { id: { [Op.gt]: after } });
    if (input.role) Object.assign(filter, { role: input.role });
    if (input.teamId) Object.assign(filter, { teamId: input.teamId });
    const rows = await this.memberships.findAll(tenantId, { where: filter, order: [['id', 'ASC']], limit: limit + 1 });
    const users = rows.length
      ? await this.models.User.findAll({ where: { id: { [Op.in]: rows.map((r) => r.userId) } } })
      : [];
    const byId = new Map(users.map((u) => [u.id, u]));
    const members = rows.map((r) => ({
      ...toMembership(r),
      email: byId.get(r.userId)?.email ?? '',
      userStatus: byId.get(r.userId)?.status ?? 'disabled',
    }));
    return page(members, limit);
  }

  /** E-mail and display name of those of `userIds` who are members of the tenant. */
  async labels(tenantId: string, userIds: readonly string[]): Promise<Map<string, MemberLabel>> {
    const ids = [...new Set(userIds)].filter(looksLikeId);
    const labels = new Map<string, MemberLabel>();
    if (!ids.length) return labels;
    const rows = await this.memberships.findAll(tenantId, {
      where: { userId: { [Op.in]: ids } },
      attributes: ['userId'],
    });
    if (!rows.length) return labels;
    const users = await this.models.User.findAll({
      where: { id: { [Op.in]: rows.map((r) => r.userId) } },
      attributes: ['id', 'email', 'displayName'],
    });
    for (const u of users) labels.set(u.id, { email: u.email, displayName: u.displayName ?? null });
    return labels;
  }

  async roleOf(userId: string, tenantId: string): Promise<TenantRole | undefined> {
    return (await this.get(tenantId, userId))?.role;
  }
}
