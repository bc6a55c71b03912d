import type { GatewayContext } from '@aihub/core/plugin-api';
import { keyView } from '../admin/keyView';
import type { AuthRuntime } from '../runtime';
import type { HoldChange } from './ApiKeyStore';

/** What a suspension or resumption did: the key before and after, whether it changed, its predecessors held too. */
export type HoldOutcome = HoldChange | undefined | 'revoked';

/**
 * Suspends a key and makes it stick everywhere before returning: the row is updated, the key evicted
 * here and on every other instance (the revocation channel), and `api_key.suspend` audited with the
 * reason. Shared by the admin route (`ctx` is the admin's request) and KEY_CONTROL (automation: no
 * request, `by` names the rule). Nothing is evicted or audited when nothing changed.
 */
export async function suspendKey(
  rt: AuthRuntime,
  ctx: GatewayContext | null,
  tenantId: string,
  id: string,
  reason: string | null,
  by: string | null,
): Promise<HoldOutcome> {
  const out = await rt.keys.suspend(tenantId, id, reason, by);
  if (out && out !== 'revoked' && out.changed) await settle(rt, ctx, tenantId, 'api_key.suspend', out);
  return out;
}

/**
 * Lifts a suspension (see suspendKey): evicted everywhere and audited as `api_key.resume`. `liftable`:
 * see ApiKeyStore.resume.
 */
export async function resumeKey(
  rt: AuthRuntime,
  ctx: GatewayContext | null,
  tenantId: string,
  id: string,
  liftable?: (by: string | null) => boolean,
): Promise<HoldOutcome> {
  const out = await rt.keys.resume(tenantId, id, liftable);
  if (out && out !== 'revoked' && out.changed) await settle(rt, ctx, tenantId, 'api_key.resume', out);
  return out;
}

async function settle(
  rt: AuthRuntime,
  ctx: GatewayContext | null,
  tenantId: string,
  action: string,
  out: HoldChange,
): Promise<void> {
  // Evict here and publish before answering: every instance refuses (or serves) the key within a second.
  for (const id of [out.after.id, ...out.also]) await rt.apiKeys.announce(id);
  const now = rt.ctx.clock.now();
  const entry = {
    tenantId,
    action,
    targetType: 'api_key',
    targetId: out.after.id,
    before: keyView(out.before, now),
    // The rotated predecessors still in their grace, held or lifted with the key, are named in it.
    after:
      out.also.length > 0 ? { ...keyView(out.after, now), rotated_predecessors: out.also } : keyView(out.after, now),
  };
  const log = rt.audit();
  if (log) await log.record(ctx, entry);
  else rt.ctx.logger.warn('no AUDIT_LOG provider: key change not audited', { action, target_id: entry.targetId });
}
