import type { KeyValueStore } from '@aihub/core/plugin-api';

const WINDOW_MS = 60_000;

/**
 * Failed sign-ins per client IP, in one-minute windows on the plugin's store (shared by every
 * instance when the store is Redis). The per-account lockout stops guessing one account's password;
 * this stops one address spraying passwords over many accounts, and spares the password hash's CPU
 * once the address is over its limit.
 */
export class LoginThrottle {
  constructor(
    private readonly store: KeyValueStore,
    /** Failed sign-ins allowed per IP per minute; 0 turns the throttle off. */
    private readonly perMinute: number,
  ) {}

  private key(ip: string): string {
    return `login-failures:${ip}`;
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
}
