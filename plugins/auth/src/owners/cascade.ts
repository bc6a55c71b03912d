import { Op } from 'sequelize';
import type { OwnerListener } from '@aihub/plugin-tenancy';
import type { OAuthClientRow } from '../models';
import { TENANT_CONTEXT } from '../oauth/SqlAdapter';
import type { AuthRuntime } from '../runtime';

/**
 * What the auth plugin does when the tenancy plugin announces a change of a credential's owner.
 * On every instance: the owner's cached state is dropped (all of them for a deleted tenant), so the
 * next request of any of its keys or tokens re-reads it. On the instance that made the change, after
 * its commit, the durable cascades, done once: a deleted user's keys are revoked; a deleted tenant's
 * keys are revoked, its OAuth clients deleted with their grants and refresh tokens, the grants users
 * held in it revoked, and its outstanding access tokens denied on every instance.
 */
export function ownerChangeListener(rt: AuthRuntime): OwnerListener {
  return async (change, origin) => {
    if (change.kind === 'user') rt.owners.evict(change.id);
    else rt.owners.clear();
    if (origin !== 'local' || !change.deleted) return;
    if (change.kind === 'user') await revokeKeys(rt, { user_id: change.id });
    else await cascadeTenant(rt, change.id);
  };
}

/** Marks matching unrevoked keys revoked and evicts them on every instance. */
async function revokeKeys(rt: AuthRuntime, where: { user_id: string } | { tenant_id: string }): Promise<void> {
  const { ApiKey } = rt.models;
  const rows = (await ApiKey.findAll({
    attributes: ['id'],
    where: { ...where, revoked_at: null },
    raw: true,
  })) as unknown as { id: string }[];
  if (rows.length === 0) return;
  const at = new Date(rt.ctx.clock.now());
  await ApiKey.update({ revoked_at: at, updated_at: at }, { where: { ...where, revoked_at: null } });
  for (const { id } of rows) await rt.apiKeys.announce(id);
}

/** A deleted tenant: nothing it issued may authenticate or get tokens any more, on any instance. */
async function cascadeTenant(rt: AuthRuntime, tenantId: string): Promise<void> {
  // First the deny-list entry: access tokens already out stop at once, whatever follows.
  await rt.oauth?.denyTenant(tenantId);
  await revokeKeys(rt, { tenant_id: tenantId });
  const clients = (await rt.models.OAuthClient.findAll({
    attributes: ['client_id'],
    where: { tenant_id: tenantId },
    raw: true,
  })) as unknown as Pick<OAuthClientRow, 'client_id'>[];
  for (const { client_id } of clients) {
    // Plain statements, no transaction of our own: this runs inside the tenant deletion's commit, and
    // on SQLite a second transaction would queue behind the one that is committing, forever.
    await rt.models.OAuthClient.destroy({ where: { tenant_id: tenantId, client_id } });
    await rt.models.OidcPayload.destroy({ where: { client_id } });
    await rt.oauth?.denyClient(client_id);
  }
  // Grants users signed in to this tenant with (e.g. through the console, a client of another tenant).
  const { OidcPayload } = rt.models;
  const contexts = (await OidcPayload.findAll({
    attributes: ['id'],
    where: { kind: TENANT_CONTEXT, payload: JSON.stringify({ tenantId }) },
    raw: true,
  })) as unknown as { id: string }[];
  const grantIds = contexts.map((c) => c.id);
  if (grantIds.length > 0) {
    await OidcPayload.destroy({
      where: { [Op.or]: [{ grant_id: { [Op.in]: grantIds } }, { kind: 'Grant', id: { [Op.in]: grantIds } }] },
    });
    for (const grantId of grantIds) await rt.oauth?.denyGrant(grantId);
  }
}
