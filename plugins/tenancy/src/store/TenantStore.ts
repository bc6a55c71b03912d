import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { API_VERSIONS, type Database } from '@aihub/core/plugin-api';
import type { TenancyConfig } from '../config';
import type { CachedTenantDirectory } from '../directory';
import { ID_PREFIX, looksLikeId, newId } from '../ids';
import type { TenancyModels } from '../models';
import { decodeIdCursor, pageSize } from '../pagination';
import { toTenant } from '../records';
import type { TenantScope } from '../scope';
import type { Membership, Team } from '../models';
import type {
  CreateTenantInput,
  ListTenantsInput,
  Page,
  PlanDefinition,
  TenantRecord,
  UpdateTenantInput,
} from '../types';
import { afterCommit, announce, contains, inTransaction, isUniqueViolation, page, tenantNotFound } from './shared';
import { TenancyErrors } from '../errors';

/** A new tenant is pinned to the API version current when it is created (settings.apiVersion). */
const CURRENT_API_VERSION = API_VERSIONS[API_VERSIONS.length - 1];

/** Tenants and the plans they are on. A change invalidates the tenant in every instance's directory. */
export class TenantStore {
  constructor(
    private readonly db: Database,
    private readonly models: TenancyModels,
    private readonly config: TenancyConfig,
    private readonly directory: CachedTenantDirectory,
    private readonly scoped: { teams: TenantScope<Team>; memberships: TenantScope<Membership> },
  ) {}

  /** This plugin's own bounds of a plan (its config), or undefined for an unknown plan. */
  plan(name: string): PlanDefinition | undefined {
    return Object.hasOwn(this.config.plans, name) ? this.config.plans[name] : undefined;
  }

  private checkPlan(plan: string): void {
    if (!this.plan(plan)) {
      throw TenancyErrors.create(
        'unknown_plan',
        `Unknown plan "${plan}"; use one of: ${Object.keys(this.config.plans).join(', ')}.`,
        { param: 'plan' },
      );
    }
  }

  async create(input: CreateTenantInput, t?: Transaction): Promise<TenantRecord> {
    const plan = input.plan ?? this.config.defaultPlan;
    this.checkPlan(plan);
    try {
      const row = await this.models.Tenant.create(
        {
          id: newId(ID_PREFIX.tenant),
          slug: input.slug,
          name: input.name,
          status: input.status ?? 'active',
          plan,
          settings: { apiVersion: CURRENT_API_VERSION, ...input.settings },
        },
        { transaction: t },
      );
      return toTenant(row);
    } catch (err) {
      if (isUniqueViolation(err))
        throw TenancyErrors.create(
          'slug_taken',
          `A tenant with slug "${input.slug}" already exists; choose another slug.`,
        );
      throw err;
    }
  }

  async get(id: string, t?: Transaction): Promise<TenantRecord | undefined> {
    if (!looksLikeId(id)) return undefined;
    const row = await this.models.Tenant.findByPk(id, { transaction: t });
    return row ? toTenant(row) : undefined;
  }

  async bySlug(slug: string): Promise<TenantRecord | undefined> {
    if (slug.length > 63) return undefined;
    const row = await this.models.Tenant.findOne({ where: { slug: slug.toLowerCase() } });
    return row ? toTenant(row) : undefined;
  }

  async list(input: ListTenantsInput = {}): Promise<Page<TenantRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.status) and.push({ status: input.status });
    if (input.q) and.push({ [Op.or]: [contains(this.db, 'name', input.q), contains(this.db, 'slug', input.q)] });
    const rows = await this.models.Tenant.findAll({
      where: { [Op.and]: and },
      order: [['id', 'ASC']],
      limit: limit + 1,
    });
    return page(rows.map(toTenant), limit);
  }

  async update(id: string, patch: UpdateTenantInput, t?: Transaction): Promise<TenantRecord> {
    const row = looksLikeId(id) ? await this.models.Tenant.findByPk(id, { transaction: t }) : null;
    if (!row) throw tenantNotFound();
    if (patch.plan !== undefined) this.checkPlan(patch.plan);
    const values: Record<string, unknown> = {};
    for (const k of ['name', 'slug', 'plan', 'status', 'settings'] as const)
      if (patch[k] !== undefined) values[k] = patch[k];
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err))
        throw TenancyErrors.create(
          'slug_taken',
          `A tenant with slug "${patch.slug}" already exists; choose another slug.`,
        );
      throw err;
    }
    afterCommit(t, () => this.directory.invalidate(id));
    return toTenant(row);
  }

  /** Deletes the tenant with its teams and memberships; audit entries are kept. */
  async delete(id: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(id)) return false;
    const deleted = await inTransaction(this.db, t, async (tx) => {
      await this.scoped.memberships.destroy(id, {}, { transaction: tx });
      await this.scoped.teams.destroy(id, {}, { transaction: tx });
      return (await this.models.Tenant.destroy({ where: { id }, transaction: tx })) > 0;
    });
    if (deleted) {
      afterCommit(t, () => this.directory.invalidate(id));
      await announce(this.directory, t, { kind: 'tenant', id, deleted: true });
    }
    return deleted;
  }
}
