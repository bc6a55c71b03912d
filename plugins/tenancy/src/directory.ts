import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import type { TenantContext, TenantDirectory } from '@aihub/core/plugin-api';
import type { OwnerChange, OwnerListener } from './types';

/** The pub/sub channel tenant changes are announced on (every instance drops its cached copy). */
export const INVALIDATE_CHANNEL = 'tenancy:invalidate';
/** Message that drops every cached tenant (e.g. after a bulk change). */
const ALL = '*';

interface Entry {
  value: TenantContext | undefined;
  expiresAt: number;
}

export interface DirectoryOptions {
  load: (tenantId: string) => Promise<TenantContext | undefined>;
  ttlMs: number;
  maxEntries: number;
  store: KeyValueStore;
  logger: Logger;
  now?: () => number;
}

/**
 * Cached tenant lookups for the hot path. A hit is a Map read (no I/O, no allocation); a miss loads
 * once however many requests wait for it. Writes call `invalidate`, which drops the local copy and
 * publishes the id on `tenancy:invalidate` so every other instance drops its copy too; the TTL
 * (≤ 5 s) bounds staleness if a message is ever lost. Unknown ids are cached as well (briefly), so
 * a flood of requests for a deleted tenant does not become a flood of queries.
 */
export class CachedTenantDirectory implements TenantDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<TenantContext | undefined>>();
  /** Bumped by every invalidation, so a load that started before one does not cache stale data. */
  private generation = 0;
  private unsubscribe?: () => Promise<void>;
  private readonly now: () => number;
  /** Changes of credentials' owners (users, memberships, tenant deletions), on every instance. */
  readonly owners: OwnerEvents;

  constructor(private readonly options: DirectoryOptions) {
    this.now = options.now ?? Date.now;
    this.owners = new OwnerEvents(options.store, options.logger);
  }

  /** Subscribes to invalidations from other instances. */
  async start(): Promise<void> {
    this.unsubscribe = await this.options.store.subscribe(INVALIDATE_CHANNEL, (message) => this.drop(message));
    await this.owners.start();
  }

  async stop(): Promise<void> {
    await this.owners.stop();
    await this.unsubscribe?.().catch(() => {});
    this.unsubscribe = undefined;
    this.entries.clear();
  }

  /** The cached tenant when fresh, without a promise: the request hook's fast path. */
  peek(tenantId: string): TenantContext | undefined {
    const e = this.entries.get(tenantId);
    return e && e.expiresAt > this.now() ? e.value : undefined;
  }

  /** True when a fresh entry (found or known-missing) is cached. */
  has(tenantId: string): boolean {
    const e = this.entries.get(tenantId);
    return e !== undefined && e.expiresAt > this.now();
  }

  get(tenantId: string): Promise<TenantContext | undefined> {
    const e = this.entries.get(tenantId);
    if (e && e.expiresAt > this.now()) return Promise.resolve(e.value);
    let pending = this.loading.get(tenantId);
    if (!pending) {
      const generation = this.generation;
      pending = this.options.load(tenantId).then(
        (value) => {
          this.loading.delete(tenantId);
          if (generation === this.generation) this.put(tenantId, value);
          return value;
        },
        (err: unknown) => {
          this.loading.delete(tenantId);
          throw err;
        },
      );
      this.loading.set(tenantId, pending);
    }
    return pending;
  }

  /** Drops the tenant here and on every other instance. */
  invalidate(tenantId: string): void {
    this.drop(tenantId);
    this.options.store.publish(INVALIDATE_CHANNEL, tenantId).catch((err: unknown) => {
      // Other instances fall back to the TTL; the change itself is already stored.
      this.options.logger.warn(
        'could not publish a tenant invalidation; other instances see the change within the cache TTL',
        { err },
      );
    });
  }

  /** Drops every cached tenant everywhere. */
  invalidateAll(): void {
    this.invalidate(ALL);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(tenantId: string): void {
    this.generation++;
    if (tenantId === ALL) this.entries.clear();
    else this.entries.delete(tenantId);
    this.loading.delete(tenantId);
  }

  private put(tenantId: string, value: TenantContext | undefined): void {
    if (this.options.ttlMs <= 0) return;
    if (this.entries.size >= this.options.maxEntries && !this.entries.has(tenantId)) {
      // Evict the oldest insertion (Map keeps insertion order): cheap, and good enough for a TTL cache.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    // Re-insert so the entry moves to the back of the eviction order.
    this.entries.delete(tenantId);
    this.entries.set(tenantId, {
      value: value === undefined ? undefined : deepFreeze(value),
      expiresAt: this.now() + this.options.ttlMs,
    });
  }
}

/** Cached tenants are shared by every request: freeze them so no plugin can change one in place. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** The pub/sub channel changes of a credential's owner (user, membership, tenant) are announced on. */
export const OWNER_CHANNEL = 'tenancy:owner';

/**
 * Announces owner changes: to this instance's listeners at once (awaited, after the commit) and to
 * every other instance over the shared store, as `<instance>|<kind>|<id>|<0|1>`. Messages an
 * instance published itself come back through its own subscription and are skipped.
 */
export class OwnerEvents {
  private readonly listeners = new Set<OwnerListener>();
  private readonly instance = Math.random().toString(36).slice(2, 12);
  private unsubscribe?: () => Promise<void>;

  constructor(
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.store.subscribe(OWNER_CHANNEL, (message) => {
      const [from, kind, id, deleted] = message.split('|');
      if (from === this.instance || (kind !== 'user' && kind !== 'tenant') || !id) return;
      void this.deliver({ kind, id, deleted: deleted === '1' }, 'remote');
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => {});
    this.unsubscribe = undefined;
  }

  /** Registers a listener; returns its removal. */
  on(listener: OwnerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells this instance's listeners (awaited) and every other instance (not awaited). */
  async emit(change: OwnerChange): Promise<void> {
    this.store
      .publish(OWNER_CHANNEL, `${this.instance}|${change.kind}|${change.id}|${change.deleted ? 1 : 0}`)
      .catch((err: unknown) => {
        // Other instances fall back to their owner-cache TTL; this one is up to date already.
        this.logger.warn('could not publish an owner change; other instances see it within their cache TTL', { err });
      });
    await this.deliver(change, 'local');
  }

  private async deliver(change: OwnerChange, origin: 'local' | 'remote'): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change, origin);
      } catch (err) {
        // The change is committed; a listener's failure must not turn it into an error for the caller.
        this.logger.error(`owner change listener failed (${change.kind} ${change.id})`, { err });
      }
    }
  }
}
