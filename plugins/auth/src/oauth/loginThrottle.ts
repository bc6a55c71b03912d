import { createHash } from 'node:crypto';
import type { KeyValueStore } from '@aihub/core/plugin-api';

const WINDOW_MS = 60_000;
/** Failures of one account from one address are forgotten a day after the last one. */
const ACCOUNT_MEMORY_MS = 86_400_000;

/** Backoff of sign-ins to one account from one client address. */
export interface LoginLockoutPolicy {
  /** Failures (account + address) before the first pause. */
  threshold: number;
  /** First pause; doubles with every further failure. */
  baseMs: number;
  /** Longest pause. */
  maxMs: number;
}

/** The pause after `failures` consecutive failures: none below the threshold, then base·2^k, capped. */
export function backoffMs(failures: number, policy: LoginLockoutPolicy): number {
  if (failures < policy.threshold) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - policy.threshold, 40));
}

/**
 * Failed sign-ins on the plugin's store (shared by every instance when the store is Redis), two ways:
 * - per client address, over all accounts, in one-minute windows: stops one address spraying
 *   passwords over many accounts, and spares the password hash's CPU once it is over its limit;
 * - per account and client address, with exponential backoff: stops guessing one account's password
 *   from one address, while the real user, signing in from anywhere else, is never locked out by an
 *   attacker (there is no account-wide lock). The account is keyed by a hash of the e-mail as typed,
 *   so unknown e-mails back off exactly like real ones.
 */
export class LoginThrottle {
  constructor(
    private readonly store: KeyValueStore,
    /** Failed sign-ins allowed per IP per minute; 0 turns the throttle off. */
    private readonly perMinute: number,
    private readonly lockout: LoginLockoutPolicy = { threshold: 5, baseMs: 30_000, maxMs: 900_000 },
  ) {}

  private key(ip: string): string {
    return `login-failures:${ip}`;
  }

  private accountKey(email: string, ip: string): string {
    return `login-account:${createHash('sha256').update(email).digest('base64url').slice(0, 32)}:${ip}`;
  }

  /** Milliseconds until `ip` may try again, or 0 when it may try now. */
  async blockedFor(ip: string): Promise<number> {
    if (this.perMinute === 0) return 0;
    const failures = Number((await this.store.get(this.key(ip))) ?? 0);
    if (failures < this.perMinute) return 0;
    const ttl = await this.store.pttl(this.key(ip));
    return ttl > 0 ? ttl : WINDOW_MS;
  }

  /** Counts a failed sign-in from `ip` (the window starts with the first failure). */
  async failed(ip: string): Promise<void> {
    if (this.perMinute === 0) return;
    await this.store.incr(this.key(ip), 1, WINDOW_MS);
  }

  /** Milliseconds until `email` may be tried again from `ip`, or 0. */
  async accountPausedFor(email: string, ip: string): Promise<number> {
    const ttl = await this.store.pttl(`${this.accountKey(email, ip)}:pause`);
    return ttl > 0 ? ttl : 0;
  }

  /** Counts a failed sign-in to `email` from `ip`; past the threshold, pauses that pair (backoff). */
  async accountFailed(email: string, ip: string): Promise<number> {
    const key = this.accountKey(email, ip);
    const failures = await this.store.incr(`${key}:n`, 1, ACCOUNT_MEMORY_MS);
    const pause = backoffMs(failures, this.lockout);
    if (pause > 0) await this.store.set(`${key}:pause`, '1', { ttlMs: pause });
    return pause;
  }

  /** A successful sign-in clears that account's failures from that address. */
  async accountSucceeded(email: string, ip: string): Promise<void> {
    const key = this.accountKey(email, ip);
    await this.store.del(`${key}:n`, `${key}:pause`);
  }
}
