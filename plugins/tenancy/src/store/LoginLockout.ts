import type { Clock, Database } from '@aihub/core/plugin-api';
import type { TenancyConfig } from '../config';
import { looksLikeId } from '../ids';
import type { TenancyModels } from '../models';
import { lockDurationMs } from '../password';
import type { LoginFailure, UserRecord } from '../types';

/** Failed-login counting and the exponential lock it leads to (columns of the user row). */
export class LoginLockout {
  constructor(
    private readonly db: Database,
    private readonly models: TenancyModels,
    private readonly config: TenancyConfig,
    private readonly clock: Clock,
  ) {}

  /** Counts a failed login; locks the user once the threshold is reached. */
  async recordFailure(userId: string): Promise<LoginFailure> {
    return this.db.transaction(async (t) => {
      const row = looksLikeId(userId)
        ? await this.models.User.findByPk(userId, { transaction: t, lock: t.LOCK.UPDATE })
        : null;
      if (!row) return { failedLogins: 0, lockedUntil: null };
      const failedLogins = Number(row.failedLogins ?? 0) + 1;
      const lockMs = lockDurationMs(failedLogins, this.config.lockout);
      const lockedUntil = lockMs > 0 ? new Date(this.clock.now() + lockMs) : (row.lockedUntil ?? null);
      await row.update({ failedLogins, lockedUntil }, { transaction: t });
      return { failedLogins, lockedUntil };
    });
  }

  /** Resets the failure count and the lock, stamps last_login_at. */
  async recordSuccess(userId: string): Promise<void> {
    if (!looksLikeId(userId)) return;
    await this.models.User.update(
      { failedLogins: 0, lockedUntil: null, lastLoginAt: new Date(this.clock.now()) },
      { where: { id: userId } },
    );
  }

  isLocked(user: UserRecord): boolean {
    return user.lockedUntil !== null && user.lockedUntil.getTime() > this.clock.now();
  }
}
