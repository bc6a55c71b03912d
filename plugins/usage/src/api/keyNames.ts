import { CREDENTIAL_SUBJECTS, type PluginContext } from '@aihub/core/plugin-api';

/**
 * The names of the API keys (and OAuth clients) among `ids`, from the auth plugin in one batched,
 * tenant-scoped read per answer. Usage stores key ids only; the console shows names. Without the
 * auth plugin, or for a deleted key, an id has no name and the console shows the id.
 */
export async function keyNames(
  ctx: PluginContext<unknown>,
  tenantId: string,
  ids: readonly (string | null)[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
  const names = ctx.tryGet(CREDENTIAL_SUBJECTS)?.names;
  if (!wanted.length || !names) return new Map();
  return names(tenantId, 'key', wanted);
}
