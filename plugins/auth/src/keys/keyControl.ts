import type { KeyControl } from '@aihub/core/plugin-api';
import { keyView } from '../admin/keyView';
import type { AuthContext } from '../runtime';

/**
 * KEY_CONTROL for automation (the ops plugin): suspending a key revokes it as `DELETE …/api-keys/:id`
 * does — on every instance within a second — and audits `api_key.revoke` with the reason.
 */
export function keyControl(ctx: AuthContext): KeyControl {
  return {
    async suspendKey(tenantId, keyId, reason) {
      const rt = ctx.runtime;
      const changed = await rt.keys.revoke(tenantId, keyId);
      if (!changed) return false;
      await rt.apiKeys.announce(keyId);
      if (!changed.before.revokedAt) {
        const now = rt.ctx.clock.now();
        await rt.audit()?.record(null, {
          tenantId,
          action: 'api_key.revoke',
          targetType: 'api_key',
          targetId: keyId,
          before: keyView(changed.before, now),
          after: { ...keyView(changed.after, now), reason },
        });
      }
      return true;
    },
  };
}
