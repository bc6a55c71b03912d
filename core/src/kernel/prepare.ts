import type { CoreConfig } from '../config/coreSchema';
import { loadConfig, type LoadConfigOptions } from '../config/loadConfig';
import type { ConfigOrigins } from '../config/origins';
import { StartupError, type Problem } from '../config/problems';
import { collectHooks, collectRoutes, coreRoutes, routeConflicts } from './collectPlugin';
import { dryContext } from './dryContext';
import { orderHooks, type BoundHook } from './orderHooks';
import type { Phase } from './phases';
import { resolvePlugins, type PluginSource, type ResolvedPlugin } from './resolvePlugins';
import type { PluginDefinition } from './types';

export interface PrepareOptions extends LoadConfigOptions {
  /** Plugin definitions to use for entries of the same name instead of importing a package. */
  definitions?: PluginDefinition[];
}

export interface Prepared {
  config: CoreConfig;
  file?: string;
  baseDir: string;
  plugins: ResolvedPlugin[];
  /** Hook order per phase, as it will run (from a dry read of every plugin's hooks). */
  pipeline: Map<Phase, BoundHook[]>;
  /**
   * Which values the environment produced. The plugin contexts built from this Prepared read it live:
   * an applied reload replaces its contents (see reloadConfig).
   */
  origins: ConfigOrigins;
}

/**
 * Boot steps 1–4 (DESIGN §2): load the config, resolve and validate plugins and their configs, check
 * dependencies, hook order and routes. Every problem is collected; throws one StartupError listing
 * them all. Nothing is started and nothing is written.
 */
export async function prepare(options: PrepareOptions): Promise<Prepared> {
  const { loaded, problems, partial } = await loadConfig(options);
  const defs = new Map((options.definitions ?? []).map((d) => [d.name, d]));
  if (!loaded) {
    // The core part is invalid, but the plugins can still be checked: one report, one fix-and-retry.
    if (partial) {
      const entries: PluginSource[] = partial.plugins.map((e) => ({ ...e, definition: defs.get(e.name) }));
      problems.push(...(await resolvePlugins(entries, partial.baseDir)).problems);
    }
    throw new StartupError(problems);
  }
  // Inline definitions not listed in the config are added (tests, startTestGateway).
  const entries: PluginSource[] = loaded.config.plugins.map((e) => ({ ...e, definition: defs.get(e.name) }));
  const { plugins, problems: pluginProblems } = await resolvePlugins(entries, loaded.baseDir);
  const all: Problem[] = [...problems, ...pluginProblems];
  const hooks: BoundHook[] = [];
  const routes = [];
  for (const p of plugins) {
    const ctx = dryContext(p.definition, p.config, loaded.config, loaded.origins.under(['plugins', p.index, 'config']));
    try {
      hooks.push(...collectHooks(p.definition, ctx));
      routes.push(...collectRoutes(p.definition, ctx));
    } catch (err) {
      all.push({
        code: 'AIHUB_E_PLUGIN_INVALID',
        path: `plugins[${p.index}]`,
        message: `plugin "${p.definition.name}" failed to declare hooks or routes: ${(err as Error).message}`,
      });
    }
  }
  const { byPhase, problems: orderProblems } = orderHooks(hooks, loaded.config.pipeline.order);
  all.push(...orderProblems, ...routeConflicts(routes, coreRoutes(loaded.config)));
  if (all.length) throw new StartupError(all);
  return {
    config: loaded.config,
    file: loaded.file,
    baseDir: loaded.baseDir,
    plugins,
    pipeline: byPhase,
    origins: loaded.origins,
  };
}
