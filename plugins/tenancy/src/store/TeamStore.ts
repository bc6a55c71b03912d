import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { CoreErrors, type Database } from '@aihub/core/plugin-api';
import { ID_PREFIX, looksLikeId, newId } from '../ids';
import type { Membership, Team } from '../models';
import { decodeIdCursor, pageSize } from '../pagination';
import { toTeam } from '../records';
import type { TenantScope } from '../scope';
import type { Page, PageRequest, TeamRecord } from '../types';
import { contains, inTransaction, isUniqueViolation, page } from './shared';
import { TenancyErrors } from '../errors';

/** A tenant's teams; every query goes through the tenant-scoped repository. */
export class TeamStore {
  constructor(
    private readonly db: Database,
    private readonly teams: TenantScope<Team>,
    private readonly memberships: TenantScope<Membership>,
  ) {}

  async create(
    tenantId: string,
    input: { name: string; description?: string | null },
    t?: Transaction,
  ): Promise<TeamRecord> {
    try {
      const row = await this.teams.create(
        tenantId,
        { id: newId(ID_PREFIX.team), name: input.name, description: input.description ?? null },
        { transaction: t },
      );
      return toTeam(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw TenancyErrors.create('team_name_taken', `A team named "${input.name}" already exists in this tenant.`);
      throw err;
    }
  }

  async get(tenantId: string, teamId: string, t?: Transaction): Promise<TeamRecord | undefined> {
    if (!looksLikeId(teamId)) return undefined;
    const row = await this.teams.findById(tenantId, teamId, { transaction: t });
    return row ? toTeam(row) : undefined;
  }

  async list(tenantId: string, input: PageRequest & { q?: string } = {}): Promise<Page<TeamRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.q) and.push(contains(this.db, 'name', input.q));
    const rows = await this.teams.findAll(tenantId, {
      where: { [Op.and]: and },
      order: [['id', 'ASC']],
      limit: limit + 1,
    });
    return page(rows.map(toTeam), limit);
  }

  async update(
    tenantId: string,
    teamId: string,
    patch: { name?: string; description?: string | null },
    t?: Transaction,
  ): Promise<TeamRecord> {
    const row = looksLikeId(teamId) ? await this.teams.findById(tenantId, teamId, { transaction: t }) : null;
    if (!row) throw CoreErrors.create('team_not_found', 'No such team in this tenant.');
    const values: Partial<Pick<Team, 'name' | 'description'>> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err))
        throw TenancyErrors.create('team_name_taken', `A team named "${patch.name}" already exists in this tenant.`);
      throw err;
    }
    return toTeam(row);
  }

  /** Deletes the team; its members stay in the tenant, without a team. */
  async delete(tenantId: string, teamId: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(teamId)) return false;
    return inTransaction(this.db, t, async (tx) => {
      await this.memberships.update(tenantId, { teamId }, { teamId: null }, { transaction: tx });
      return (await this.teams.destroy(tenantId, { id: teamId }, { transaction: tx })) > 0;
    });
  }
}
