import { ProblemCode, StartupError } from '../config/problems';
import type { HealthRegistry } from '../health/HealthRegistry';
import type { Logger } from '../services/createLogger';
import { collectHealth, collectHooks, collectRoutes, type CollectedRoute } from './collectPlugin';
import { createPluginContext, type CoreServices, type KernelPluginContext } from './createPluginContext';
import type { BoundHook } from './orderHooks';
import type { Prepared } from './prepare';

/** A plugin that has started: its definition, its index in the config and its context. */
export interface StartedPlugin {
  prepared: Prepared['plugins'][number];
  ctx: KernelPluginContext;
}

/**
 * Boot step "register and start plugins", one plugin at a time in dependency order (`prepare` sorted
 * them): its context, `register` (its bindings, so plugins after it can resolve what it provides),
 * its `runtime()` when it has one, its hooks, routes and health checks (declared before `start`: they
 * are closures that read `ctx.runtime` when a request comes), then `start`, whose result becomes
 * `ctx.runtime`.
 *
 * Each plugin goes into `started` as soon as it has started, so that a later failure stops exactly
 * those. A failure names the plugin (`AIHUB_E_PLUGIN_START`).
 */
export async function startPlugins(
  prepared: Prepared,
  core: CoreServices,
  health: HealthRegistry,
  logger: Logger,
  started: StartedPlugin[],
): Promise<{ hooks: BoundHook[]; routes: CollectedRoute[] }> {
  const hooks: BoundHook[] = [];
  const routes: CollectedRoute[] = [];
  for (const p of prepared.plugins) {
    const def = p.definition;
    const ctx = createPluginContext(def, p.config, core, prepared.origins.under(['plugins', p.index, 'config']));
    try {
      await def.register?.(ctx.binder, ctx);
      if (def.runtime) ctx.setRuntime(def.runtime(ctx));
      hooks.push(...collectHooks(def, ctx));
      routes.push(...collectRoutes(def, ctx));
      for (const check of collectHealth(def, ctx)) health.register(def.name, check);
      const result = await def.start?.(ctx);
      // A start that returns nothing keeps the runtime `runtime()` built (or leaves it undefined).
      if (result !== undefined || !def.runtime) ctx.setRuntime(result);
    } catch (err) {
      if (err instanceof StartupError) throw err;
      logger.error(`plugin ${def.name} failed to start`, { err, plugin: def.name });
      throw new StartupError([
        {
          code: ProblemCode.PLUGIN_START,
          path: `plugins[${p.index}]`,
          message: `plugin "${def.name}" failed to start: ${(err as Error).message}`,
        },
      ]);
    }
    started.push({ prepared: p, ctx });
    logger.debug(`plugin ${def.name} started`, { plugin: def.name, version: def.version });
  }
  return { hooks, routes };
}
