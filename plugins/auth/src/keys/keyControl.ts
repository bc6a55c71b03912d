import type { KeyControl } from '@aihub/core/plugin-api';
import type { AuthContext } from '../runtime';
import { resumeKey, suspendKey } from './suspension';

/**
 * A hold automation made: an ops rule's (`ops:<rule>`) or KeyControl's default actor. Automation
 * lifts only these, so a rule's resume_key never undoes an admin's deliberate suspension.
 */
function byAutomation(by: string | null): boolean {
  return by === 'automation' || (by?.startsWith('ops:') ?? false);
}

/**
 * KEY_CONTROL for automation (the ops plugin): suspend and resume as the admin routes
 * `POST …/api-keys/:id/suspend|resume` do — reversible, on every instance within a second, audited
 * as `api_key.suspend` / `api_key.resume` (with the reason) — without a request behind them; resume
 * lifts only holds automation made (see byAutomation).
 */
export function keyControl(ctx: AuthContext): KeyControl {
  return {
    async suspendKey(tenantId, keyId, reason, by) {
      const out = await suspendKey(ctx.runtime, null, tenantId, keyId, reason, by ?? 'automation');
      if (out === 'revoked') throw new Error(`key ${keyId} is revoked; a revoked key cannot be suspended`);
      return out !== undefined;
    },
    async resumeKey(tenantId, keyId) {
      const out = await resumeKey(ctx.runtime, null, tenantId, keyId, byAutomation);
      if (out === 'revoked') throw new Error(`key ${keyId} is revoked; a revoked key cannot be resumed`);
      if (out && !out.changed && out.after.suspendedAt && !byAutomation(out.after.suspendedBy))
        throw new Error(
          `key ${keyId} was suspended by ${out.after.suspendedBy ?? 'an admin'}, not by automation; only an admin lifts that hold (POST …/api-keys/${keyId}/resume)`,
        );
      return out !== undefined;
    },
  };
}
