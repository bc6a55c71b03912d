import { Op } from 'sequelize';
import type { AuthModels } from '../models';

/** Longest id of a key or OAuth client; longer ones cannot exist, so they are not asked for. */
const MAX_ID = 64;

/**
 * The names of those of `ids` that are API keys or OAuth clients of the tenant (revoked ones
 * included: their usage stays theirs), in two indexed reads whatever the count. Ids of another
 * tenant or of deleted credentials are absent, so the caller shows the bare id.
 */
export async function credentialNames(
  models: AuthModels,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(ids)].filter((id) => typeof id === 'string' && id.length > 0 && id.length <= MAX_ID);
  const names = new Map<string, string>();
  if (!wanted.length) return names;
  const [keys, clients] = await Promise.all([
    models.ApiKey.findAll({
      where: { tenant_id: tenantId, id: { [Op.in]: wanted } },
      attributes: ['id', 'name'],
      raw: true,
    }) as unknown as Promise<{ id: string; name: string }[]>,
    models.OAuthClient.findAll({
      where: { tenant_id: tenantId, client_id: { [Op.in]: wanted } },
      attributes: ['client_id', 'name'],
      raw: true,
    }) as unknown as Promise<{ client_id: string; name: string }[]>,
  ]);
  for (const c of clients) names.set(c.client_id, c.name);
  for (const k of keys) names.set(k.id, k.name);
  return names;
}
