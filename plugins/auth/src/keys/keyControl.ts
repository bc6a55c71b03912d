import type { KeyControl } from '@aihub/core/plugin-api';
import type { AuthContext } from '../runtime';
import { resumeKey, suspendKey } from './suspension';

/**
 * KEY_CONTROL for automation (the ops plugin): suspend and resume as the admin routes
 * `POST …/api-keys/:id/suspend|resume` do — reversible, on every instance within a second, audited
 * as `api_key.suspend` / `api_key.resume` (with the reason) — without a request behind them.
 */
export function keyControl(ctx: AuthContext): KeyControl {
  return {
    async suspendKey(tenantId, keyId, reason, by) {
      const out = await suspendKey(ctx.runtime, null, tenantId, keyId, reason, by ?? 'automation');
      if (out === 'revoked') throw new Error(`key ${keyId} is revoked; a revoked key cannot be suspended`);
      return out !== undefined;
    },
    async resumeKey(tenantId, keyId) {
      const out = await resumeKey(ctx.runtime, null, tenantId, keyId);
      if (out === 'revoked') throw new Error(`key ${keyId} is revoked; a revoked key cannot be resumed`);
      return out !== undefined;
    },
  };
}
