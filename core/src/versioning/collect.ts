import type { PluginDefinition } from '../kernel/types';
import { ApiVersions, type ApiVersionsOptions, type RegisteredChange } from './ApiVersions';
import { API_VERSIONS } from './catalog';
import { coreVersionChanges } from './changes';

/** The version catalog with core's changes and those of the started plugins (`versionChanges`). */
export function buildApiVersions(
  plugins: readonly Pick<PluginDefinition, 'name' | 'versionChanges'>[],
  options: ApiVersionsOptions = {},
): ApiVersions {
  const changes: RegisteredChange[] = coreVersionChanges.map((c) => ({ ...c, plugin: 'core' }));
  for (const def of plugins) for (const c of def.versionChanges ?? []) changes.push({ ...c, plugin: def.name });
  return new ApiVersions(changes, API_VERSIONS, options);
}
