import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  CoreErrors,
  type BudgetSettings,
  type LimitSettings,
  type PluginContext,
  type Principal,
} from '@aihub/core/plugin-api';
import { AuthErrors } from '../errors';
import { parseApiKey } from '../keyFormat';
import { parseJson, type ApiKeyRow } from '../models';
import type { ServerSecrets } from '../secrets';
import type { AuthMetrics } from '../metrics';
import type { ApiKeyStore } from './ApiKeyStore';

type KeyValueStore = PluginContext['sharedStore'];

/** Channel on the shared store that carries revoked (or changed) key ids to every instance. */
export const REVOKED_CHANNEL = 'auth:revoked';

/** A key as the hot path needs it: everything precomputed, the Principal shared and frozen. */
interface CachedKey {
  readonly id: string;
  readonly hash: Buffer;
  /** Epoch ms; Infinity when the key never expires. */
  readonly expiresAt: number;
  readonly revoked: boolean;
  /** Null unless the key is suspended; then the reason ('' when none was given). */
  readonly suspended: string | null;
  readonly principal: Principal;
  /** When last_used_at was last queued for this key (epoch ms). */
  lastUsedMark: number;
  /** SHA-256 of the last secret that passed the HMAC check, 32 bytes as a latin1 ('binary') string (see verifySecret). */
  verified?: string;
}

/** Most key ids remembered as existing (~100 bytes each). */
const KNOWN_MAX = 1_000_000;

/** Negative cache entry: the key id does not exist. */
const UNKNOWN = Object.freeze({ unknown: true as const });
type Entry = CachedKey | typeof UNKNOWN;

export interface ApiKeyAuthOptions {
  cacheMax: number;
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
  lastUsedIntervalMs: number;
  lastUsedFlushMs: number;
}

const invalidKey = () =>
  CoreErrors.create(
    'invalid_api_key',
    'Incorrect API key provided. Check the key, or create a new one in the admin API or console.',
    {
      headers: { 'www-authenticate': 'Bearer' },
    },
  );

const expiredKey = () =>
  AuthErrors.create('api_key_expired', 'This API key has expired; create a new key.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

const revokedKey = () =>
  AuthErrors.create('api_key_revoked', 'This API key has been revoked; create a new key.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

/**
 * 403 rather than 401: the key is right and known, it is held back — a caller should not retry with
 * it or treat it as a bad credential (OpenAI's SDKs raise PermissionDeniedError, not
 * AuthenticationError), and only the key's admins can lift it. Only told to a caller holding the secret.
 */
const suspendedKey = (id: string, tenantId: string, reason: string) =>
  AuthErrors.create(
    'api_key_suspended',
    `This API key (ahk_${id}) is suspended${reason ? `: ${reason}` : ''}. Ask an admin of your tenant to resume it (console: API keys; or POST /admin/v1/tenants/${tenantId}/api-keys/${id}/resume), or use another key.`,
  );

function freezePrincipal(row: ApiKeyRow): Principal {
  const scopes = Object.freeze(parseJson<string[]>(row.scopes, [])) as string[];
  const limits = parseJson<LimitSettings | null>(row.limits, null);
  const budgets = parseJson<BudgetSettings | null>(row.budgets, null);
  const allowedModels = parseJson<string[] | null>(row.allowed_models, null);
  const principal: Principal = {
    kind: 'api_key',
    subject: row.id,
    keyId: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id ?? undefined,
    teamId: row.team_id ?? undefined,
    scopes,
    role: row.role,
    superadmin: row.superadmin ? true : undefined,
    limits: limits ? Object.freeze(limits) : undefined,
    budgets: budgets ? Object.freeze(budgets) : undefined,
    // Checked by the ai plugin on the request's model: read here once per cache fill, never per request.
    allowedModels: allowedModels ? Object.freeze(allowedModels) : undefined,
    // The key's AIHub-Version pin (after the request's header, before the tenant's pin).
    apiVersion: row.api_version ?? undefined,
  };
  // Shared by every request of this key: nobody may change it in place.
  return Object.freeze(principal);
}

/**
 * Equality of two digests held as latin1 strings, in constant time for equal lengths: every
 * character is compared (no early exit), so the time says nothing about where they first differ.
 */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * API-key authentication on the hot path. A cache hit costs one LRU lookup, one SHA-256 of the secret
 * (an HMAC-SHA-256 the first time, see verifySecret) and a constant-time compare, and returns a
 * shared frozen Principal (no allocation beyond the digest).
 * Misses are single-flighted to one database read; unknown ids are cached negatively. Revocations
 * and every other change (suspension, resumption, PATCH) are published on the shared store and
 * evict the entry on every instance; entries also expire after `cacheTtlMs` (≤ 30 s), and a
 * periodic poll of changed keys covers a lost message.
 */
export class ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, CachedKey>;
  /** Unknown ids live in their own LRU, so a flood of random ids cannot evict real keys. */
  private readonly unknown: LRUCache<string, typeof UNKNOWN>;
  /**
   * Ids of keys that exist (unrevoked ones loaded at start, new ones from the poll, every id a lookup
   * found): a client address over its failure limit may still have these looked up (a valid caller
   * whose entry is not cached here), never ids nobody issued. Ids only, at most KNOWN_MAX.
   */
  private readonly known = new Set<string>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly pendingLastUsed = new Map<string, number>();
  private flushTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private unsubscribe?: () => Promise<void>;
  private lastPoll: Date;
  private flushing?: Promise<void>;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly secrets: ServerSecrets,
    private readonly sharedStore: KeyValueStore,
    private readonly metrics: AuthMetrics,
    private readonly options: ApiKeyAuthOptions,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown, what: string) => void = () => {},
  ) {
    this.cache = new LRUCache<string, CachedKey>({
      max: options.cacheMax,
      ttl: options.cacheTtlMs,
      ttlAutopurge: false,
      updateAgeOnGet: false,
    });
    this.unknown = new LRUCache<string, typeof UNKNOWN>({
      max: options.cacheMax,
      ttl: options.negativeCacheTtlMs,
      ttlAutopurge: false,
      updateAgeOnGet: false,
    });
    this.lastPoll = new Date(now());
  }

  /**
   * Authenticates a presented `ahk_…` value. Returns the Principal synchronously on a cache hit (no
   * promise, no await on the hot path), a promise on a miss; throws a 401 GatewayError otherwise.
   * A malformed key, or one whose checksum does not match, is refused before any lookup.
   * With `lookups: 'known'` (a client over its failure limit) a miss is looked up only for an id that
   * existed when last read; otherwise the answer is `undefined` and nothing is read.
   */
  authenticate(presented: string, lookups?: 'any'): Principal | Promise<Principal>;
  authenticate(presented: string, lookups: 'any' | 'known'): Principal | Promise<Principal> | undefined;
  authenticate(presented: string, lookups: 'any' | 'known' = 'any'): Principal | Promise<Principal> | undefined {
    const parsed = parseApiKey(presented);
    if (parsed === undefined) {
      this.metrics.apiKeyInvalid.inc();
      throw invalidKey();
    }
    const entry = this.cache.get(parsed.id) ?? this.unknown.get(parsed.id);
    if (entry !== undefined) {
      this.metrics.apiKeyCacheHit.inc();
      return this.check(entry, parsed.secret);
    }
    if (lookups === 'known' && !this.known.has(parsed.id)) return undefined;
    this.metrics.apiKeyCacheMiss.inc();
    return this.load(parsed.id).then((e) => this.check(e, parsed.secret));
  }

  private check(entry: Entry, secret: string): Principal {
    if (entry === UNKNOWN) {
      // Same work as a wrong secret, so unknown ids and wrong secrets are indistinguishable by timing.
      this.secrets.hmac(secret);
      this.metrics.apiKeyInvalid.inc();
      throw invalidKey();
    }
    const key = entry as CachedKey;
    if (!this.verifySecret(key, secret)) {
      this.metrics.apiKeyInvalid.inc();
      throw invalidKey();
    }
    // Only a caller holding the secret learns that the key is revoked, expired or suspended.
    if (key.revoked) {
      this.metrics.apiKeyRevoked.inc();
      throw revokedKey();
    }
    const now = this.now();
    if (key.expiresAt <= now) {
      this.metrics.apiKeyExpired.inc();
      throw expiredKey();
    }
    if (key.suspended !== null) {
      this.metrics.apiKeySuspended.inc();
      throw suspendedKey(key.id, key.principal.tenantId!, key.suspended);
    }
    if (now - key.lastUsedMark >= this.options.lastUsedIntervalMs) {
      key.lastUsedMark = now;
      this.pendingLastUsed.set(key.id, now);
    }
    this.metrics.apiKeyOk.inc();
    return key.principal;
  }

  /**
   * The HMAC check, memoised per cached key: once a presented secret passed it, the entry keeps that
   * secret's SHA-256 (in this process only, for at most the cache TTL; never the secret itself) and
   * later requests compare a one-shot hash instead of an HMAC with its key set-up (~2.8 µs).
   * Any other secret still goes through the HMAC against the stored hash.
   *
   * The digest is a latin1 ('binary') string, compared in constant time by sameDigest: asked for as a Buffer,
   * `hash()` costs ~1.4 µs (most of it wrapping the native output in a Buffer) against ~0.4 µs as a
   * string, and timingSafeEqual adds its argument checks.
   */
  private verifySecret(key: CachedKey, secret: string): boolean {
    let digest: string | undefined;
    if (key.verified !== undefined) {
      digest = hash('sha256', secret, 'binary');
      if (sameDigest(digest, key.verified)) return true;
    }
    if (!this.secrets.verify(secret, key.hash)) return false;
    key.verified = digest ?? hash('sha256', secret, 'binary');
    return true;
  }

  private load(id: string): Promise<Entry> {
    let pending = this.inflight.get(id);
    if (pending) return pending;
    pending = this.store
      .findForAuth(id)
      .then((row) => {
        const entry: Entry = row ? this.toEntry(row) : UNKNOWN;
        // A revocation that arrived while we were reading wins: only cache if still wanted.
        if (this.inflight.get(id) === pending) {
          if (entry === UNKNOWN) this.unknown.set(id, UNKNOWN);
          else {
            this.cache.set(id, entry as CachedKey);
            this.remember(id);
          }
        }
        return entry;
      })
      .finally(() => {
        if (this.inflight.get(id) === pending) this.inflight.delete(id);
      });
    this.inflight.set(id, pending);
    return pending;
  }

  private toEntry(row: ApiKeyRow): CachedKey {
    const lastUsed = row.last_used_at ? new Date(row.last_used_at).getTime() : 0;
    return {
      id: row.id,
      hash: Buffer.from(row.secret_hash, 'hex'),
      expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : Infinity,
      revoked: row.revoked_at !== null && row.revoked_at !== undefined,
      suspended: row.suspended_at ? (row.suspended_reason ?? '') : null,
      principal: freezePrincipal(row),
      lastUsedMark: lastUsed,
    };
  }

  /** Remembers that a key id exists (bounded: past KNOWN_MAX, new ids wait for a lookup). */
  remember(id: string): void {
    if (this.known.size < KNOWN_MAX) this.known.add(id);
  }

  /** Drops a key from this instance's cache (and any read in flight for it). */
  evict(id: string): void {
    this.cache.delete(id);
    this.unknown.delete(id);
    this.inflight.delete(id);
  }

  /** Evicts locally now, then tells every other instance. */
  async announce(id: string): Promise<void> {
    this.evict(id);
    await this.sharedStore.publish(REVOKED_CHANNEL, id);
  }

  async start(pollIntervalMs = 10_000): Promise<void> {
    for (const id of await this.store.unrevokedIds(KNOWN_MAX)) this.known.add(id);
    this.unsubscribe = await this.sharedStore.subscribe(REVOKED_CHANNEL, (message) => this.evict(message));
    this.flushTimer = setInterval(() => void this.flushLastUsed(), this.options.lastUsedFlushMs);
    this.flushTimer.unref();
    this.pollTimer = setInterval(() => void this.poll(), pollIntervalMs);
    this.pollTimer.unref();
  }

  /** Backstop for a lost pub/sub message: evict keys whose row changed since the last poll. */
  private async poll(): Promise<void> {
    const since = new Date(this.lastPoll.getTime() - 2_000);
    this.lastPoll = new Date(this.now());
    try {
      for (const id of await this.store.changedSince(since)) {
        this.evict(id);
        // New keys (created on any instance) become known: their first use is looked up even for a
        // client address over its failure limit.
        this.remember(id);
      }
    } catch (err) {
      this.onError(err, 'poll changed API keys');
    }
  }

  /** Writes queued last_used_at stamps; never on the request path. */
  flushLastUsed(): Promise<void> {
    if (this.flushing || this.pendingLastUsed.size === 0) return this.flushing ?? Promise.resolve();
    const batch = new Map(this.pendingLastUsed);
    this.pendingLastUsed.clear();
    this.flushing = this.store
      .touchLastUsed(batch)
      .catch((err) => this.onError(err, 'write last_used_at'))
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.pollTimer);
    await this.unsubscribe?.().catch(() => {});
    await this.flushLastUsed();
  }

  /** For tests and metrics. */
  get size(): number {
    return this.cache.size;
  }
}
