import { LRUCache } from 'lru-cache';
import { GatewayError, type Principal, type TenantRole } from '@aihub/core/plugin-api';
import { AuthErrors } from '../errors';
import type { OwnerState } from '@aihub/plugin-tenancy';
import type { AuthMetrics } from '../metrics';

const ROLE_RANK: Record<TenantRole, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

/** Why a credential of a user is refused now; each answers its own 401 code. */
type Refusal = 'removed' | 'disabled' | 'not_member';

interface OwnerEntry {
  /** null: the user does not exist (any more). */
  readonly state: OwnerState | null;
  /** The effective Principal per credential Principal (both shared and frozen), or why it is refused. */
  readonly derived: WeakMap<Principal, Principal | Refusal>;
}

export interface OwnerGuardOptions {
  /** Safety net for a lost change message: an owner's state is re-read at least this often. */
  ttlMs: number;
  max: number;
}

const header = { 'www-authenticate': 'Bearer error="invalid_token"' };

/** The 401 of a refusal; exported for the introspection endpoint and tests. */
export function ownerRefusal(why: Refusal): GatewayError {
  switch (why) {
    case 'removed':
      return AuthErrors.create(
        'credential_owner_removed',
        'The user this credential belongs to no longer exists; it stopped working with them. Use a credential of a current user.',
        {
          headers: header,
        },
      );
    case 'disabled':
      return AuthErrors.create(
        'credential_owner_disabled',
        'The user this credential belongs to is disabled; it works again only if a platform admin re-enables them.',
        {
          headers: header,
        },
      );
    case 'not_member':
      return AuthErrors.create(
        'credential_owner_not_member',
        "The user this credential belongs to is no longer a member of the credential's tenant; use a credential of a current member.",
        {
          headers: header,
        },
      );
  }
}

/**
 * Re-validates every credential that belongs to a user (API keys they created, their OAuth access
 * tokens) against the user's current state: a deleted or disabled user, or one no longer in the
 * credential's tenant, is refused; the role is capped at the user's current role in that tenant and
 * the superadmin flag holds only while the user is still a superadmin.
 *
 * Hot path: the owner's state is cached per user (one LRU read, then a WeakMap read of the derived
 * Principal: no allocation, no promise on a hit). The tenancy plugin announces every change of a user,
 * a membership or a tenant deletion on this instance and, over the shared store, on every other; an
 * announced user is evicted, and a read in flight when the change arrived is not cached. `ttlMs`
 * bounds staleness if a message is ever lost.
 */
export class OwnerGuard {
  private readonly cache: LRUCache<string, OwnerEntry>;
  private readonly inflight = new Map<string, Promise<OwnerEntry>>();
  /** Bumped by every eviction, so a read that started before one is not cached. */
  private generation = 0;

  constructor(
    private readonly load: (userId: string) => Promise<OwnerState | undefined>,
    private readonly metrics: AuthMetrics,
    options: OwnerGuardOptions,
  ) {
    this.cache = new LRUCache<string, OwnerEntry>({
      max: options.max,
      ttl: options.ttlMs,
      ttlAutopurge: false,
      updateAgeOnGet: false,
    });
  }

  /** The Principal the credential may act as now; throws a 401 when its owner may not act at all. */
  apply(principal: Principal): Principal | Promise<Principal> {
    const userId = principal.userId;
    if (userId === undefined) return principal;
    const entry = this.cache.get(userId);
    if (entry !== undefined) return this.derive(entry, principal);
    return this.fetch(userId).then((e) => this.derive(e, principal));
  }

  /** Forgets a user (changed or deleted) on this instance. */
  evict(userId: string): void {
    this.generation++;
    this.cache.delete(userId);
    this.inflight.delete(userId);
  }

  /** Forgets every user (a tenant was deleted: memberships of many users went with it). */
  clear(): void {
    this.generation++;
    this.cache.clear();
    this.inflight.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  private fetch(userId: string): Promise<OwnerEntry> {
    let pending = this.inflight.get(userId);
    if (pending) return pending;
    const generation = this.generation;
    pending = this.load(userId)
      .then((state) => {
        const entry: OwnerEntry = { state: state ?? null, derived: new WeakMap() };
        if (generation === this.generation) this.cache.set(userId, entry);
        return entry;
      })
      .finally(() => {
        if (this.inflight.get(userId) === pending) this.inflight.delete(userId);
      });
    this.inflight.set(userId, pending);
    return pending;
  }

  private derive(entry: OwnerEntry, principal: Principal): Principal {
    let result = entry.derived.get(principal);
    if (result === undefined) {
      result = effective(entry.state, principal);
      entry.derived.set(principal, result);
    }
    if (typeof result === 'string') {
      this.metrics.ownerRefused.inc({ reason: result });
      throw ownerRefusal(result);
    }
    return result;
  }
}

/** The Principal capped by its owner's current state, or why the owner may not act. */
export function effective(state: OwnerState | null, principal: Principal): Principal | Refusal {
  if (state === null) return 'removed';
  if (state.status !== 'active') return 'disabled';
  const superadmin = principal.superadmin === true && state.superadmin;
  let role = principal.role;
  const tenantId = principal.tenantId;
  if (tenantId !== null && !superadmin) {
    // A superadmin acts as an owner in every tenant (as its tokens say); anyone else as their membership.
    const ownerRole: TenantRole | undefined = state.superadmin ? 'owner' : state.roles[tenantId];
    if (ownerRole === undefined) return 'not_member';
    if (role !== undefined && ROLE_RANK[ownerRole] < ROLE_RANK[role]) role = ownerRole;
  }
  if (superadmin === (principal.superadmin === true) && role === principal.role) return principal;
  return Object.freeze({ ...principal, role, superadmin: superadmin ? true : undefined });
}
