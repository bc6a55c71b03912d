import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { LRUCache } from 'lru-cache';
import { CoreErrors, TENANT_ROLES, type Principal, type TenantRole } from '@aihub/core/plugin-api';
import { AuthErrors } from '../errors';
import type { TokenVerifier } from '../hooks';
import type { AuthMetrics } from '../metrics';
import type { Denylist } from './Denylist';
import type { SigningKey } from './SigningKeys';

const jose = require('jose') as typeof Jose;

interface VerifierKey {
  alg: string;
  key: Jose.CryptoKey;
  /** Epoch ms after which the key no longer verifies (Infinity for the active key). */
  retireAt: number;
}

interface CachedToken {
  principal: Principal;
  /** Epoch ms. */
  exp: number;
  kid: string;
  jti?: string;
  gid?: string;
  cid?: string;
  tid?: string;
}

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  /** Allow list; `none` and anything else is refused before any key is looked at. */
  algorithms: string[];
  clockToleranceSeconds: number;
  cacheMax: number;
  keyRefreshMinIntervalMs: number;
}

const invalidToken = (why: string) =>
  CoreErrors.create('invalid_token', `The access token is not valid (${why}); get a new token from /oauth/token.`, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

const expiredToken = () =>
  AuthErrors.create(
    'token_expired',
    'The access token has expired; get a new one from /oauth/token (or use your refresh token).',
    {
      headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
    },
  );

const revokedToken = () =>
  AuthErrors.create('token_revoked', 'The access token has been revoked; get a new one from /oauth/token.', {
    headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"' },
  });

const ROLES = new Set<string>(TENANT_ROLES);

/** The Principal of verified access-token claims. */
export function principalFromClaims(payload: Jose.JWTPayload): Principal {
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  const sub = payload.sub as string;
  const scopes = typeof payload.scope === 'string' && payload.scope.length > 0 ? payload.scope.split(' ') : [];
  const role = typeof payload.role === 'string' && ROLES.has(payload.role) ? (payload.role as TenantRole) : undefined;
  const principal: Principal = {
    kind: 'oauth_token',
    subject: sub,
    tenantId: typeof payload.tenant_id === 'string' ? payload.tenant_id : null,
    clientId,
    userId: clientId !== undefined && sub !== clientId ? sub : undefined,
    scopes: Object.freeze(scopes) as string[],
    role,
    superadmin: payload.superadmin === true ? true : undefined,
  };
  const models = payload.allowed_models;
  if (Array.isArray(models) && models.every((m) => typeof m === 'string'))
    principal.allowedModels = Object.freeze([...models]);
  // The client's API version pin (its `api_version` when the token was issued).
  if (typeof payload.api_version === 'string') principal.apiVersion = payload.api_version;
  return Object.freeze(principal);
}

/**
 * Verifies the gateway's own JWT access tokens on the hot path with jose against the in-process key
 * set (no network, no database). Checks alg (allow list, never `none`), kid, signature, `typ`
 * (at+jwt, so an ID token cannot pass as an access token), iss, aud, exp/nbf, and the deny list.
 * Verified tokens are cached by the whole token string (not the signature alone: a payload swapped
 * under a cached signature must not hit) until they expire; a hit is one LRU lookup and two
 * comparisons. An unknown kid reloads keys from the database at most every `keyRefreshMinIntervalMs`.
 */
export class JwtVerifier implements TokenVerifier {
  private keys = new Map<string, VerifierKey>();
  private readonly cache: LRUCache<string, CachedToken>;
  private lastRefresh = 0;
  private algorithms: string[];
  private refreshing?: Promise<void>;

  constructor(
    private readonly options: JwtVerifierOptions,
    private readonly reloadKeys: () => Promise<void>,
    private readonly denylist: Denylist,
    private readonly metrics: AuthMetrics,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new LRUCache<string, CachedToken>({ max: options.cacheMax, ttlAutopurge: false });
    this.algorithms = [...options.algorithms];
    denylist.onAdd((key) => this.evictDenied(key));
  }

  /**
   * Replaces the key set (after a load or rotation); cached tokens of dropped keys stop verifying.
   * The algorithms of our own keys join the allow list, so a key of the previous `signingAlg` keeps
   * verifying through its grace period after the algorithm was changed.
   */
  async setKeys(keys: SigningKey[]): Promise<void> {
    const next = new Map<string, VerifierKey>();
    for (const k of keys) {
      next.set(k.kid, {
        alg: k.alg,
        key: (await jose.importJWK(k.publicJwk, k.alg)) as Jose.CryptoKey,
        retireAt: k.retireAt,
      });
    }
    this.algorithms = [...new Set([...this.options.algorithms, ...keys.map((k) => k.alg)])];
    this.keys = next;
  }

  verify(token: string): Principal | Promise<Principal> {
    const hit = this.cache.get(token);
    if (hit !== undefined) {
      const now = this.now();
      if (hit.exp <= now) {
        this.cache.delete(token);
        this.metrics.jwtExpired.inc();
        throw expiredToken();
      }
      const key = this.keys.get(hit.kid);
      if (key === undefined || key.retireAt <= now) {
        this.cache.delete(token);
        this.metrics.jwtInvalid.inc();
        throw invalidToken('signed by a retired key');
      }
      this.metrics.jwtCacheHit.inc();
      this.metrics.jwtOk.inc();
      return hit.principal;
    }
    this.metrics.jwtCacheMiss.inc();
    // Garbage fails here, synchronously: no promise, no key lookup, no signature work.
    this.checkHeader(token);
    return this.verifySlow(token);
  }

  /** The header's alg (allow-listed) and kid; throws a 401 for anything else. */
  private checkHeader(token: string): { alg: string; kid: string } {
    let header: Jose.ProtectedHeaderParameters;
    try {
      header = jose.decodeProtectedHeader(token);
    } catch {
      this.metrics.jwtInvalid.inc();
      throw invalidToken('malformed');
    }
    if (typeof header.alg !== 'string' || !this.algorithms.includes(header.alg)) {
      this.metrics.jwtInvalid.inc();
      throw invalidToken('algorithm not allowed');
    }
    const kid = typeof header.kid === 'string' && header.kid.length <= 128 ? header.kid : undefined;
    if (kid === undefined) {
      this.metrics.jwtInvalid.inc();
      throw invalidToken('no key id');
    }
    return { alg: header.alg, kid };
  }

  /** Full verification; also used by introspection and revocation (`useCache: false`). */
  async verifySlow(token: string, opts: { checkDenylist?: boolean; cache?: boolean } = {}): Promise<Principal> {
    const { payload, kid } = await this.verifySignature(token);
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    const gid = typeof payload.gid === 'string' ? payload.gid : undefined;
    const cid = typeof payload.client_id === 'string' ? payload.client_id : undefined;
    const tid = typeof payload.tenant_id === 'string' ? payload.tenant_id : undefined;
    if (opts.checkDenylist !== false && this.denylist.denies(jti, gid, cid, tid)) {
      this.metrics.jwtRevoked.inc();
      throw revokedToken();
    }
    const principal = principalFromClaims(payload);
    const exp = (payload.exp as number) * 1000;
    if (opts.cache !== false) {
      const ttl = exp - this.now();
      if (ttl > 0) this.cache.set(token, { principal, exp, kid, jti, gid, cid, tid }, { ttl });
    }
    this.metrics.jwtOk.inc();
    return principal;
  }

  /** Signature and claim checks; the verified payload. */
  async verifySignature(token: string): Promise<{ payload: Jose.JWTPayload; kid: string }> {
    const header = this.checkHeader(token);
    const kid = header.kid;
    let key = this.keys.get(kid);
    if (key === undefined) {
      await this.maybeRefresh();
      key = this.keys.get(kid);
    }
    if (key === undefined || key.retireAt <= this.now()) {
      this.metrics.jwtInvalid.inc();
      throw invalidToken('unknown or retired signing key');
    }
    if (key.alg !== header.alg) {
      this.metrics.jwtInvalid.inc();
      throw invalidToken('algorithm does not match the key');
    }
    try {
      const { payload } = await jose.jwtVerify(token, key.key, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [key.alg],
        typ: 'at+jwt',
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      });
      return { payload, kid };
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_JWT_EXPIRED') {
        this.metrics.jwtExpired.inc();
        throw expiredToken();
      }
      this.metrics.jwtInvalid.inc();
      const claim = (err as { claim?: string }).claim;
      throw invalidToken(claim ? `${claim} claim check failed` : 'signature or claims check failed');
    }
  }

  /** At most one reload per interval, shared by concurrent callers. */
  private maybeRefresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const now = this.now();
    if (now - this.lastRefresh < this.options.keyRefreshMinIntervalMs) return Promise.resolve();
    this.lastRefresh = now;
    this.refreshing = this.reloadKeys()
      .catch(() => {})
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private evictDenied(key: string): void {
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const id = key.slice(colon + 1);
    for (const [token, entry] of this.cache.entries()) {
      if (
        (kind === 'jti' && entry.jti === id) ||
        (kind === 'gid' && entry.gid === id) ||
        (kind === 'cid' && entry.cid === id) ||
        (kind === 'tid' && entry.tid === id)
      ) {
        this.cache.delete(token);
      }
    }
  }

  get cacheSize(): number {
    return this.cache.size;
  }
}
