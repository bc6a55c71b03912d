import { LRUCache } from 'lru-cache';
import type { KeyValueStore, Logger } from '@aihub/core/plugin-api';
import type { CacheConfig } from './config';
import { StoredEntry, type CacheEntry } from './entry';
import { keyPart, keyPrefix } from './key';
import type { CacheMetrics } from './metrics';
import { claimScript, purgeScript, statsScript, storeScript, unlockScript, type ClaimReply } from './scripts';

/** Pub/sub channels under the plugin prefix. */
export const PURGE_CHANNEL = 'purge';
export const FILLED_CHANNEL = 'filled';
const PURGE_BATCH = 500;
/** Entries whose bytes a stats call measures in the shared layer; beyond it the bytes are scaled up. */
const STATS_MEASURE_CAP = 10_000;

export type ClaimResult = { kind: 'hit'; entry: StoredEntry } | { kind: 'lead' } | { kind: 'busy' } | { kind: 'miss' };

/**
 * The two layers: an in-process LRU bounded by entries and bytes (L1), and entries in the core store
 * under the plugin prefix (L2: `e:<tenant>:<model>:<hash>`, a per-tenant index `i:<tenant>` and
 * single-flight locks `l:<key>`). L2 errors never fail a request: they count and act as a miss.
 */
export class CacheLayers {
  readonly l1: LRUCache<string, StoredEntry>;
  private unsubscribe: (() => Promise<void>)[] = [];
  private readonly filledWaiters = new Map<string, Set<() => void>>();
  private lastErrorLog = 0;

  constructor(
    private readonly config: CacheConfig,
    /** The plugin-scoped store, or undefined when L2 is off. */
    readonly l2: KeyValueStore | undefined,
    /** The plugin-scoped store for invalidation messages (present even when L2 is off). */
    private readonly bus: KeyValueStore,
    private readonly metrics: CacheMetrics,
    private readonly logger: Logger,
  ) {
    this.l1 = new LRUCache<string, StoredEntry>({
      max: config.l1.maxEntries,
      maxSize: config.l1.maxBytes,
      sizeCalculation: (e) => Math.max(1, e.l1Size),
      dispose: (_v, _k, reason) => {
        if (reason === 'evict' || reason === 'expire') metrics.evictions.labels({ layer: 'l1', reason }).inc();
      },
    });
  }

  async start(): Promise<void> {
    // Purges reach every instance's L1; with Redis they travel over pub/sub, in memory to this process.
    this.unsubscribe.push(await this.bus.subscribe(PURGE_CHANNEL, (message) => this.purgeL1(message)));
    if (this.l2 && this.l2.kind === 'redis') {
      this.unsubscribe.push(await this.l2.subscribe(FILLED_CHANNEL, (key) => this.wake(key)));
    }
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) await u().catch(() => {});
    this.unsubscribe = [];
    this.l1.clear();
  }

  /** L1 lookup (synchronous). */
  getL1(key: string): StoredEntry | undefined {
    return this.l1.get(key);
  }

  /**
   * L2 lookup of an L1 miss, taking the single-flight lock in the same round trip when `lockMs` > 0.
   * A hit is copied into L1 for the rest of its TTL.
   */
  async claim(key: string, token: string, lockMs: number): Promise<ClaimResult> {
    if (!this.l2) return { kind: 'miss' };
    let reply: ClaimReply;
    try {
      reply = await this.l2.runScript(claimScript, [`e:${key}`, `l:${key}`], [token, lockMs]);
    } catch (err) {
      this.failed('claim', err);
      return { kind: 'miss' };
    }
    const status = Number(reply[0]);
    if (status === 1 && typeof reply[1] === 'string') {
      const entry = this.parse(reply[1]);
      if (entry) {
        this.putL1(key, entry);
        return { kind: 'hit', entry };
      }
      return { kind: 'miss' };
    }
    if (status === 2) return { kind: 'lead' };
    if (status === 3) return { kind: 'busy' };
    return { kind: 'miss' };
  }

  /**
   * Stores in L1 at once and in L2 through the promise it returns (which never rejects). Entries
   * above maxEntryBytes are not stored (undefined).
   */
  put(key: string, tenantId: string, entry: CacheEntry): { stored: StoredEntry; shared: Promise<boolean> } | undefined {
    const raw = JSON.stringify(entry);
    if (raw.length > this.config.maxEntryBytes) return undefined;
    const stored = new StoredEntry(entry, Buffer.byteLength(raw));
    this.putL1(key, stored);
    this.metrics.stores.labels({ layer: 'l1' }).inc();
    if (!this.l2) return { stored, shared: Promise.resolve(false) };
    const ttl = entry.expiresAt - entry.storedAt;
    const shared = this.l2
      .runScript(storeScript, [`e:${key}`, `i:${keyPart(tenantId)}`], [raw, ttl])
      .then(() => {
        this.metrics.storedL2(stored.bytes, entry.expiresAt);
        return true;
      })
      .catch((err: unknown) => {
        this.failed('store', err);
        return false;
      });
    return { stored, shared };
  }

  /** Releases a single-flight lock and, when the entry was stored, wakes followers on other instances. */
  async release(key: string, token: string, filled: boolean): Promise<void> {
    if (!this.l2) return;
    try {
      if (filled) await this.l2.publish(FILLED_CHANNEL, key);
      await this.l2.runScript(unlockScript, [`l:${key}`], [token]);
    } catch (err) {
      this.failed('unlock', err);
    }
  }

  /**
   * Waits until another instance's leader fills `key`, re-claiming every `pollMs` (so when that
   * leader gives up, this caller takes the lock and leads). Resolves with the outcome or `busy` on
   * timeout.
   */
  async awaitFill(key: string, token: string, lockMs: number, deadline: number): Promise<ClaimResult> {
    while (Date.now() < deadline) {
      await this.sleepUntilFilled(key, Math.min(this.config.singleFlight.pollMs, deadline - Date.now()));
      const r = await this.claim(key, token, lockMs);
      if (r.kind !== 'busy') return r;
    }
    return { kind: 'busy' };
  }

  /** Deletes a tenant's entries (all, or one model's) from L2 and every instance's L1. */
  async purge(tenantId: string, model: string | undefined): Promise<number> {
    let removed = 0;
    if (this.l2) {
      const prefix = `${this.l2.prefix}e:${keyPrefix(tenantId, model)}`;
      let offset = 0;
      for (;;) {
        const [scanned, gone] = await this.l2.runScript(
          purgeScript,
          [`i:${keyPart(tenantId)}`],
          [model === undefined ? '' : prefix, PURGE_BATCH, offset],
        );
        removed += Number(gone);
        offset += Number(scanned) - Number(gone);
        if (Number(scanned) < PURGE_BATCH) break;
      }
    }
    removed = Math.max(removed, this.purgeL1(`${tenantId}\n${model ?? ''}`));
    await this.bus.publish(PURGE_CHANNEL, `${tenantId}\n${model ?? ''}`);
    return removed;
  }

  /**
   * A tenant's entries and bytes: in this instance's L1 (walks the LRU, bounded by l1.maxEntries)
   * and in L2 (null when L2 is off). L2 bytes beyond STATS_MEASURE_CAP entries are an estimate.
   */
  async tenantEntries(tenantId: string): Promise<{
    l1: { entries: number; bytes: number };
    l2: { entries: number; bytes: number; estimated: boolean } | null;
  }> {
    const prefix = keyPrefix(tenantId);
    let entries = 0;
    let bytes = 0;
    for (const [k, e] of this.l1.entries()) {
      if (!k.startsWith(prefix)) continue;
      entries++;
      bytes += e.bytes;
    }
    if (!this.l2) return { l1: { entries, bytes }, l2: null };
    const [live, measuredBytes, measured] = await this.l2.runScript(
      statsScript,
      [`i:${keyPart(tenantId)}`],
      [STATS_MEASURE_CAP],
    );
    const n = Number(live);
    const m = Number(measured);
    const estimated = m < n && m > 0;
    return {
      l1: { entries, bytes },
      l2: {
        entries: n,
        bytes: estimated ? Math.round((Number(measuredBytes) * n) / m) : Number(measuredBytes),
        estimated,
      },
    };
  }

  /** Handles a purge message `<tenant>\n<model or empty>`; returns how many L1 entries went. */
  private purgeL1(message: string): number {
    const nl = message.indexOf('\n');
    const tenantId = nl === -1 ? message : message.slice(0, nl);
    const model = nl === -1 ? '' : message.slice(nl + 1);
    const prefix = keyPrefix(tenantId, model === '' ? undefined : model);
    const doomed: string[] = [];
    for (const k of this.l1.keys()) if (k.startsWith(prefix)) doomed.push(k);
    for (const k of doomed) this.l1.delete(k);
    return doomed.length;
  }

  private putL1(key: string, entry: StoredEntry): void {
    const ttl = entry.entry.expiresAt - Date.now();
    if (ttl > 0) this.l1.set(key, entry, { ttl });
  }

  private parse(raw: string): StoredEntry | undefined {
    try {
      const entry = JSON.parse(raw) as CacheEntry;
      if (entry.v !== 1 || entry.expiresAt <= Date.now()) return undefined;
      return new StoredEntry(entry, Buffer.byteLength(raw));
    } catch {
      return undefined;
    }
  }

  private sleepUntilFilled(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.filledWaiters.get(key);
      if (!waiters) this.filledWaiters.set(key, (waiters = new Set()));
      const set = waiters;
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.filledWaiters.get(key) === set) this.filledWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      set.add(done);
    });
  }

  private wake(key: string): void {
    const waiters = this.filledWaiters.get(key);
    if (waiters) for (const w of [...waiters]) w();
  }

  private failed(operation: string, err: unknown): void {
    this.metrics.errors.labels({ operation }).inc();
    const now = Date.now();
    if (now - this.lastErrorLog > 30_000) {
      this.lastErrorLog = now;
      this.logger.warn('cache shared layer unreachable; serving misses from upstream until it returns', {
        err,
        operation,
      });
    }
  }
}
