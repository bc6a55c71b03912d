/**
 * The tenant-scoped data layer. Every query on a tenant-owned model must name its tenant: either
 * explicitly (`tenantWhere(id)`, `scopedRepository(model).findAll(id, …)`) or through the tenant
 * context of the request (`request.tenant` runs the rest of the pipeline in `runInTenant`). A query
 * on a guarded model with neither throws `tenant_scope_missing` instead of returning other tenants'
 * rows. Platform-wide reads (a superadmin's audit view, a user's memberships across tenants) must be
 * wrapped in `withCrossTenantAccess`, which makes them deliberate and easy to grep for.
 *
 * Other plugins use the same helpers for their own tenant-owned tables (usage rows, events, keys).
 */
import { GatewayError, ambientValue, defineAmbientKey, runWithAmbient } from '@aihub/core/plugin-api';
import { TenancyErrors } from './errors';
import type {
  Attributes,
  CountOptions,
  CreateOptions,
  CreationAttributes,
  DestroyOptions,
  FindOptions,
  Model,
  ModelStatic,
  UpdateOptions,
  WhereOptions,
} from 'sequelize';

interface ScopeState {
  tenantId?: string;
  crossTenant?: boolean;
}

// On the gateway's one async context (no AsyncLocalStorage of our own: each one costs every promise).
const SCOPE = defineAmbientKey<ScopeState>('tenancy.scope');

/** Thrown (500: a programming error, never a client's fault) when tenant-owned data is reached without a tenant. */
export function tenantScopeMissing(what: string): GatewayError {
  return TenancyErrors.create(
    'tenant_scope_missing',
    `${what} needs a tenant scope: pass a tenant id or run inside runInTenant(); refusing an unscoped query on tenant-owned data.`,
    {
      expose: false,
    },
  );
}

/** Runs `fn` (and everything it awaits) with `tenantId` as the tenant scope. */
export function runInTenant<T>(tenantId: string, fn: () => T): T {
  if (typeof tenantId !== 'string' || tenantId === '') throw tenantScopeMissing('runInTenant');
  return runWithAmbient(SCOPE, { tenantId }, fn);
}

/**
 * Runs `fn` with platform-wide access to tenant-owned models (no tenant filter is required). Only for
 * platform operations that are already authorized as such (superadmin views, a user's own memberships).
 */
export function withCrossTenantAccess<T>(fn: () => T): T {
  return runWithAmbient(SCOPE, { crossTenant: true }, fn);
}

/** The tenant of the current scope (request or runInTenant), if any. */
export function currentTenantId(): string | undefined {
  return ambientValue(SCOPE)?.tenantId;
}

function isCrossTenant(): boolean {
  return ambientValue(SCOPE)?.crossTenant === true;
}

/**
 * The tenant id to scope a query by: the explicit one, else the current tenant scope. Throws
 * `tenant_scope_missing` when there is neither.
 */
export function requireTenantScope(tenantId?: string | null): string {
  if (typeof tenantId === 'string' && tenantId !== '') return tenantId;
  if (tenantId === undefined) {
    const current = currentTenantId();
    if (current) return current;
  }
  throw tenantScopeMissing('This query');
}

/** `{ tenantId: <id> }` for a Sequelize `where`, from the explicit id or the current tenant scope. */
export function tenantWhere(tenantId?: string | null): { tenantId: string };
export function tenantWhere<K extends string>(tenantId: string | null | undefined, field: K): Record<K, string>;
export function tenantWhere(tenantId?: string | null, field = 'tenantId'): Record<string, string> {
  return { [field]: requireTenantScope(tenantId) };
}

type AnyModel = ModelStatic<Model>;
const guarded = new WeakSet<object>();

function hasTenant(where: unknown, keys: readonly string[]): boolean {
  if (!where || typeof where !== 'object') return false;
  return keys.some((k) => {
    const value = (where as Record<string, unknown>)[k];
    return typeof value === 'string' && value !== '';
  });
}

/**
 * Adds the current tenant to a where clause without one, or throws. `keys` are the names the tenant
 * may appear under (attribute and column: Sequelize maps a bulk destroy's where to column names
 * before its hook runs); `inject` is the one to add.
 */
function scopeWhere(options: { where?: unknown }, keys: readonly string[], inject: string, model: string): void {
  if (hasTenant(options.where, keys) || isCrossTenant()) return;
  const current = currentTenantId();
  if (!current) throw tenantScopeMissing(`A query on ${model}`);
  const where = options.where;
  if (where !== undefined && (where === null || typeof where !== 'object' || Array.isArray(where)))
    throw tenantScopeMissing(`A query on ${model}`);
  // A where that names the tenant with a non-string (null, an operator) is ambiguous: refuse it.
  if (where && keys.some((k) => k in (where as object))) throw tenantScopeMissing(`A query on ${model}`);
  options.where = { ...((where as object) ?? {}), [inject]: current };
}

function scopeValues(values: Record<string, unknown>, field: string, model: string): void {
  const v = values[field];
  if (typeof v === 'string' && v !== '') return;
  const current = currentTenantId();
  if (!current) throw tenantScopeMissing(`Creating a row of ${model}`);
  values[field] = current;
}

/**
 * Marks a model as tenant-owned: finds, counts, bulk updates and deletes must filter by the tenant
 * attribute `field` (or run in a tenant scope, which is then added to the filter), and new rows
 * must carry it. Otherwise they throw `tenant_scope_missing`.
 */
export function guardTenantModel(model: AnyModel, field = 'tenantId'): void {
  if (guarded.has(model)) return;
  guarded.add(model);
  const name = model.name;
  const column = (model.getAttributes() as Record<string, { field?: string }>)[field]?.field ?? field;
  const keys = column === field ? [field] : [field, column];
  const check = (options: { where?: unknown }) => scopeWhere(options, keys, field, name);
  model.addHook('beforeFind', check);
  model.addHook('beforeCount', check);
  model.addHook('beforeBulkUpdate', check);
  // destroy() maps its where to column names before this hook runs.
  model.addHook('beforeBulkDestroy', (options: { where?: unknown }) => scopeWhere(options, keys, column, name));
  // New rows get the tenant before validation (notNull would fail first) and again before the
  // insert, for callers that skip validation.
  const scopeInstance = (instance: Model, options?: { skip?: string[] }) => {
    // Model.update() validates a throwaway instance of the new values with `skip` listing the
    // attributes it does not set: that is a bulk update (guarded by beforeBulkUpdate), not a new row.
    if (!instance.isNewRecord || options?.skip?.includes(field)) return;
    const v = instance.get(field);
    if (typeof v === 'string' && v !== '') return;
    const current = currentTenantId();
    if (!current && !isCrossTenant()) throw tenantScopeMissing(`Creating a row of ${name}`);
    if (current) instance.set(field as never, current as never);
  };
  model.addHook('beforeValidate', (instance: Model, options: unknown) =>
    scopeInstance(instance, options as { skip?: string[] }),
  );
  model.addHook('beforeCreate', (instance: Model) => scopeInstance(instance));
  model.addHook('beforeBulkCreate', (instances: Model[]) => {
    for (const instance of instances) {
      const values = instance.get() as Record<string, unknown>;
      scopeValues(values, field, name);
      instance.set(field as never, values[field] as never);
    }
  });
  // Sequelize passes upsert values as a plain object, whatever its typings say.
  model.addHook('beforeUpsert', (values) => scopeValues(values as unknown as Record<string, unknown>, field, name));
}

/** Whether `guardTenantModel` was applied (tests assert every tenant-owned model is guarded). */
export function isTenantGuarded(model: object): boolean {
  return guarded.has(model);
}

/**
 * A model's tenant-owned rows, reachable only through functions that take the tenant id
 * (`undefined` = the current tenant scope; `null` or `''` throws).
 */
export interface TenantScope<M extends Model> {
  findAll(tenantId: string | null | undefined, options?: FindOptions<Attributes<M>>): Promise<M[]>;
  findOne(tenantId: string | null | undefined, options?: FindOptions<Attributes<M>>): Promise<M | null>;
  findById(tenantId: string | null | undefined, id: string, options?: FindOptions<Attributes<M>>): Promise<M | null>;
  count(tenantId: string | null | undefined, options?: CountOptions<Attributes<M>>): Promise<number>;
  create(
    tenantId: string | null | undefined,
    values: Omit<CreationAttributes<M>, 'tenantId'>,
    options?: CreateOptions<Attributes<M>>,
  ): Promise<M>;
  update(
    tenantId: string | null | undefined,
    where: WhereOptions<Attributes<M>>,
    values: Partial<Attributes<M>>,
    options?: Omit<UpdateOptions<Attributes<M>>, 'where'>,
  ): Promise<number>;
  destroy(
    tenantId: string | null | undefined,
    where: WhereOptions<Attributes<M>>,
    options?: Omit<DestroyOptions<Attributes<M>>, 'where'>,
  ): Promise<number>;
}

/**
 * The scoped repository of a tenant-owned model (guards the model too). `field` is the model
 * attribute holding the tenant id.
 *
 * @example
 * const teams = scopedRepository(Team);
 * await teams.findAll(tenantId, { order: [['id', 'ASC']] });
 */
export function scopedRepository<M extends Model>(model: ModelStatic<M>, field = 'tenantId'): TenantScope<M> {
  guardTenantModel(model as unknown as AnyModel, field);
  const where = (tenantId: string | null | undefined, extra?: unknown): WhereOptions<Attributes<M>> =>
    ({ ...((extra as object | undefined) ?? {}), [field]: requireTenantScope(tenantId) }) as WhereOptions<
      Attributes<M>
    >;
  // Every method is async, so a missing scope is always a rejected promise, never a synchronous throw.
  return {
    findAll: async (tenantId, options = {}) => model.findAll({ ...options, where: where(tenantId, options.where) }),
    findOne: async (tenantId, options = {}) => model.findOne({ ...options, where: where(tenantId, options.where) }),
    findById: async (tenantId, id, options = {}) =>
      model.findOne({ ...options, where: where(tenantId, { ...((options.where as object | undefined) ?? {}), id }) }),
    count: async (tenantId, options = {}) => model.count({ ...options, where: where(tenantId, options.where) }),
    create: async (tenantId, values, options) =>
      model.create({ ...(values as object), [field]: requireTenantScope(tenantId) } as CreationAttributes<M>, options),
    update: async (tenantId, w, values, options = {}) => {
      const [n] = await model.update(values, { ...options, where: where(tenantId, w) } as UpdateOptions<Attributes<M>>);
      return n;
    },
    destroy: async (tenantId, w, options = {}) =>
      model.destroy({ ...options, where: where(tenantId, w) } as DestroyOptions<Attributes<M>>),
  };
}
