import { randomUUID } from 'node:crypto';
import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import type { Limits } from './config';
import type { PolicyRow, PolicyScope } from './models';

/** The stored policies of one tenant, by `<scope>:<subjectId>`. */
export type TenantPolicies = ReadonlyMap<string, Limits>;

const EMPTY: TenantPolicies = new Map();
/** Pub/sub channel (under the plugin prefix) telling every instance to drop a tenant's cached policies. */
export const POLICY_CHANNEL = 'policies';
/** Upper bound of tenants cached per instance; the oldest entry goes first. */
const MAX_TENANTS = 50_000;
/** A request waits at most this long for a tenant's first load (a slow database must not stall it). */
const FIRST_LOAD_WAIT_MS = 1000;

interface Entry {
  at: number;
  policies: TenantPolicies;
  loading?: Promise<TenantPolicies>;
}

/** What a row means as limits (nulls dropped, so absent dimensions fall through). */
export function limitsOf(row: Pick<PolicyRow, 'requestsPerMinute' | 'tokensPerMinute' | 'concurrentRequests'>): Limits {
  const out: Limits = {};
  if (row.requestsPerMinute != null) out.requestsPerMinute = row.requestsPerMinute;
  if (row.tokensPerMinute != null) out.tokensPerMinute = row.tokensPerMinute;
  if (row.concurrentRequests != null) out.concurrentRequests = row.concurrentRequests;
  return out;
}

/**
 * Tenant-scoped policies from `rate_limit_policies`, cached per instance. The request path reads the
 * cache synchronously; a stale entry is served while one refresh runs in the background, so only a
 * tenant's very first request waits for the database. Admin changes publish an invalidation that
 * every instance (including this one) applies at once.
 */
export class PolicyStore {
  private readonly cache = new Map<string, Entry>();
  private unsubscribe?: () => Promise<void>;
  /** Bumped by every invalidation: a load that started before one must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly model: typeof PolicyRow,
    private readonly store: KeyValueStore,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(POLICY_CHANNEL, (tenantId) => this.invalidate(tenantId));
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => {});
    this.cache.clear();
  }

  /** Cached policies (possibly stale, refreshing in the background), or undefined when never loaded. */
  peek(tenantId: string): TenantPolicies | undefined {
    const entry = this.cache.get(tenantId);
    if (entry === undefined || entry.at === 0) return undefined;
    if (!entry.loading && Date.now() - entry.at > this.ttlMs) void this.load(tenantId);
    return entry.policies;
  }

  /**
   * The tenant's policies for a request: cached ones at once, else the load, waited for at most
   * FIRST_LOAD_WAIT_MS (then config limits only, for this request; the load goes on in the background).
   */
  get(tenantId: string): TenantPolicies | Promise<TenantPolicies> {
    const cached = this.peek(tenantId);
    if (cached !== undefined) return cached;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<TenantPolicies>((resolve) => {
      timer = setTimeout(() => resolve(EMPTY), FIRST_LOAD_WAIT_MS);
    });
    return Promise.race([this.load(tenantId), timeout]).finally(() => clearTimeout(timer));
  }

  /** Loads (once at a time per tenant) and caches; database errors keep what was cached, or nothing. */
  load(tenantId: string): Promise<TenantPolicies> {
    const existing = this.cache.get(tenantId);
    if (existing?.loading) return existing.loading;
    const generation = this.generation;
    const loading = this.model
      .findAll({ where: { tenantId } })
      .then((rows) => {
        const policies = new Map<string, Limits>();
        for (const row of rows) policies.set(`${row.scope}:${row.subjectId}`, limitsOf(row));
        const result = policies.size ? policies : EMPTY;
        if (generation === this.generation) this.cachePut(tenantId, result);
        else this.cache.delete(tenantId);
        return result;
      })
      .catch((err: unknown) => {
        this.logger.warn('could not load rate-limit policies; using the cached ones or config only', {
          err,
          tenant_id: tenantId,
        });
        const stale = this.cache.get(tenantId)?.policies ?? EMPTY;
        // Retry after a short while instead of hammering a failing database on every request.
        this.cachePut(tenantId, stale, Date.now() - this.ttlMs + 1000);
        return stale;
      });
    if (existing) existing.loading = loading;
    else this.cache.set(tenantId, { at: 0, policies: EMPTY, loading });
    return loading;
  }

  /** Rows of one tenant for the admin API (always from the database). */
  list(tenantId: string): Promise<PolicyRow[]> {
    return this.model.findAll({
      where: { tenantId },
      order: [
        ['scope', 'ASC'],
        ['subjectId', 'ASC'],
      ],
    });
  }

  find(tenantId: string, scope: PolicyScope, subjectId: string): Promise<PolicyRow | null> {
    return this.model.findOne({ where: { tenantId, scope, subjectId } });
  }

  /** Creates or replaces a policy; returns the row before the change (null when new) and after. */
  async put(
    tenantId: string,
    scope: PolicyScope,
    subjectId: string,
    limits: Limits,
    updatedBy: string | null,
  ): Promise<{ before: PolicyRow | null; after: PolicyRow }> {
    const values = {
      requestsPerMinute: limits.requestsPerMinute ?? null,
      tokensPerMinute: limits.tokensPerMinute ?? null,
      concurrentRequests: limits.concurrentRequests ?? null,
      updatedBy,
    };
    const before = await this.find(tenantId, scope, subjectId);
    const beforeCopy = before ? (before.get({ clone: true }) as PolicyRow) : null;
    let after: PolicyRow;
    if (before) after = await before.update(values);
    else after = await this.model.create({ id: randomUUID(), tenantId, scope, subjectId, ...values });
    await this.announce(tenantId);
    return { before: beforeCopy, after };
  }

  /** Deletes a policy; returns the deleted row or null. */
  async remove(tenantId: string, scope: PolicyScope, subjectId: string): Promise<PolicyRow | null> {
    const row = await this.find(tenantId, scope, subjectId);
    if (!row) return null;
    await row.destroy();
    await this.announce(tenantId);
    return row;
  }

  /** Forgets a tenant's cached policies (after a change here or on another instance). */
  invalidate(tenantId: string): void {
    this.generation++;
    this.cache.delete(tenantId);
  }

  private cachePut(tenantId: string, policies: TenantPolicies, at = Date.now()): void {
    this.cache.delete(tenantId);
    if (this.cache.size >= MAX_TENANTS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(tenantId, { at, policies });
  }

  /** Drops the tenant here at once and tells the other instances; a failed publish is only logged. */
  private async announce(tenantId: string): Promise<void> {
    this.invalidate(tenantId);
    await this.store.publish(POLICY_CHANNEL, tenantId).catch((err: unknown) => {
      this.logger.warn(
        'could not broadcast a rate-limit policy change; other instances pick it up when their cache expires',
        { err, tenant_id: tenantId },
      );
    });
  }
}
