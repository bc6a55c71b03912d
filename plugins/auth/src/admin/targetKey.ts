import type { GatewayContext, Principal } from '@aihub/core/plugin-api';
import type { ApiKeyRecord } from '../keys/ApiKeyStore';
import type { AuthRuntime } from '../runtime';
import { authorizeTenant, checkTargetRank } from './common';
import { keyNotFound } from './keyView';

/**
 * The key an admin route changes (rotate, suspend, resume, revoke): the caller may write keys in the
 * tenant (404 for another tenant's, 403 for a role or scope that may not), the key is the tenant's
 * (404 otherwise), and it does not outrank the caller (403). One place, so every such route checks
 * the same three things in the same order.
 */
export async function targetKey(
  r: AuthRuntime,
  ctx: GatewayContext,
  tenantId: string,
  id: string,
): Promise<{ caller: Principal; current: ApiKeyRecord }> {
  const caller = await authorizeTenant(r, ctx, 'keys:write', tenantId);
  const current = await r.keys.get(tenantId, id);
  if (!current) throw keyNotFound();
  checkTargetRank(caller, current, 'key');
  return { caller, current };
}
