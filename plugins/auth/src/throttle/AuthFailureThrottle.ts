import { LRUCache } from 'lru-cache';
import type { KeyValueStore } from '@aihub/core/plugin-api';

const WINDOW_MS = 60_000;

interface Window {
  /** Failures counted here in the current window. */
  count: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
  /** Epoch ms until which the address is over its limit (0: not blocked). */
  blockedUntil: number;
}

export interface AuthFailureThrottleOptions {
  /** Failed authentications one client address may make per minute before it gets 429s; 0: off. */
  perMinute: number;
  /** Most addresses tracked in process. */
  maxClients: number;
}

/**
 * Failed authentications (401s of the authenticate hook) per client address, in one-minute windows.
 * The decision is synchronous and in process (a Map read: nothing awaited on the request path), so a
 * blocked address costs less than any lookup. Failures are also counted on the shared store (fire and
 * forget), so addresses spreading their attempts over instances are blocked on every instance that
 * sees one of their failures once the shared count is over the limit; only failures of an address
 * that is not yet blocked are counted there, so a flood cannot become a flood of store writes.
 *
 * What a blocked address still gets is the hook's decision (see hooks.ts): cached valid credentials
 * and keys known to exist are served, so a valid caller behind the same address is never throttled.
 */
export class AuthFailureThrottle {
  /**
   * Created at the first failure, not at start: lru-cache preallocates its index arrays for `max`
   * entries (with a TTL ~44 bytes each: 4.4 MB of heap at the default 100,000), which an instance
   * that never sees a failed authentication would keep for nothing (issue 20, idle RSS).
   */
  private clientsLru?: LRUCache<string, Window>;
  /** Addresses currently blocked here: lets the hook skip resolving the client address entirely when 0. */
  private blocked = 0;

  constructor(
    private readonly options: AuthFailureThrottleOptions,
    private readonly store: KeyValueStore,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  private get clients(): LRUCache<string, Window> {
    return (this.clientsLru ??= new LRUCache<string, Window>({
      max: Math.max(this.options.maxClients, 1),
      ttl: WINDOW_MS,
      ttlAutopurge: false,
      updateAgeOnGet: false,
      // An evicted or expired address stops counting as blocked.
      dispose: (w) => this.unblock(w),
    }));
  }

  get enabled(): boolean {
    return this.options.perMinute > 0;
  }

  /** True while any address is blocked on this instance (cheap pre-check for the hook). */
  get anyBlocked(): boolean {
    return this.blocked > 0;
  }

  /** Milliseconds until `ip` may authenticate freely again; 0 when it may now. */
  blockedFor(ip: string): number {
    const w = this.clientsLru?.get(ip);
    if (w === undefined || w.blockedUntil === 0) return 0;
    const left = w.blockedUntil - this.now();
    if (left > 0) return left;
    this.unblock(w);
    return 0;
  }

  /** Counts a failed authentication from `ip`; returns the ms it is now blocked for (0: not blocked). */
  failed(ip: string): number {
    if (!this.enabled) return 0;
    const now = this.now();
    let w = this.clients.get(ip);
    if (w === undefined || w.resetAt <= now) {
      if (w !== undefined) this.unblock(w);
      w = { count: 0, resetAt: now + WINDOW_MS, blockedUntil: 0 };
      this.clients.set(ip, w);
    }
    if (w.blockedUntil > now) return w.blockedUntil - now;
    w.count++;
    if (w.count >= this.options.perMinute) {
      this.block(w, w.resetAt);
      return w.resetAt - now;
    }
    this.share(ip, w);
    return 0;
  }

  private share(ip: string, w: Window): void {
    const key = `auth-failures:${ip}`;
    this.store
      .incr(key, 1, WINDOW_MS)
      .then(async (total) => {
        if (total < this.options.perMinute || w.blockedUntil > this.now()) return;
        const ttl = await this.store.pttl(key);
        this.block(w, this.now() + (ttl > 0 ? ttl : WINDOW_MS));
      })
      .catch(this.onError);
  }

  private block(w: Window, until: number): void {
    if (w.blockedUntil === 0) this.blocked++;
    w.blockedUntil = until;
    if (w.resetAt < until) w.resetAt = until;
  }

  private unblock(w: Window): void {
    if (w.blockedUntil !== 0) {
      w.blockedUntil = 0;
      this.blocked = Math.max(0, this.blocked - 1);
    }
  }
}
