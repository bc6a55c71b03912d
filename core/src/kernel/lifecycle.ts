import { ProblemCode, StartupError } from '../config/problems';
import type { Logger } from '../services/createLogger';
import type { CollectedRoute } from './collectPlugin';
import type { PluginContext, PluginDefinition, RouteInfo } from './types';

/**
 * The lifecycle hooks beyond start/stop (`onRoute`, `ready`, `beforeClose`), run by the kernel. Order
 * is part of the plugin contract (docs/plugins.md "Lifecycle"): start order for everything on the way
 * up, reverse start order on the way down.
 */

/** A plugin that has started: its definition, its index in the config and its context. */
export interface LifecyclePlugin {
  prepared: { index: number; definition: PluginDefinition };
  ctx: PluginContext;
}

/** A lifecycle hook threw during startup: reported like a failing `start`, naming the plugin. */
function startupFailure(p: LifecyclePlugin, hook: string, err: unknown, logger: Logger): StartupError {
  const name = p.prepared.definition.name;
  logger.error(`plugin ${name} failed in ${hook}`, { err, plugin: name });
  return new StartupError([
    {
      code: ProblemCode.PLUGIN_START,
      path: `plugins[${p.prepared.index}]`,
      message: `plugin "${name}" failed in ${hook}: ${(err as Error)?.message ?? String(err)}`,
    },
  ]);
}

/**
 * Shows every route to each plugin's `onRoute`, in start order. The route is a frozen copy: `onRoute`
 * observes, it cannot change what the pipeline was built for.
 */
export function runOnRoute(
  started: readonly LifecyclePlugin[],
  routes: readonly CollectedRoute[],
  logger: Logger,
): void {
  const watchers = started.filter((p) => p.prepared.definition.onRoute);
  if (!watchers.length) return;
  const frozen: Readonly<RouteInfo>[] = routes.map((r) =>
    Object.freeze({
      ...r.info,
      scopes: Object.freeze([...r.info.scopes]) as string[],
      tags: Object.freeze([...r.info.tags]) as string[],
    }),
  );
  for (const p of watchers) {
    try {
      for (const route of frozen) p.prepared.definition.onRoute!(route, p.ctx);
    } catch (err) {
      throw startupFailure(p, 'onRoute', err, logger);
    }
  }
}

/** Runs every plugin's `ready` in start order, each awaited; the first failure fails startup. */
export async function runReady(started: readonly LifecyclePlugin[], logger: Logger): Promise<void> {
  for (const p of started) {
    const ready = p.prepared.definition.ready;
    if (!ready) continue;
    try {
      await ready(p.ctx);
    } catch (err) {
      throw startupFailure(p, 'ready', err, logger);
    }
  }
}

/**
 * Runs every plugin's `beforeClose` (or `stop`: `hook` says which) in reverse start order, each
 * bounded by `timeoutMs`. A failure is logged with the plugin's name; the others still run.
 */
export async function runShutdownHook(
  hook: 'beforeClose' | 'stop',
  started: readonly LifecyclePlugin[],
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  for (const p of [...started].reverse()) {
    const def = p.prepared.definition;
    const fn = def[hook];
    if (!fn) continue;
    const what = hook === 'stop' ? 'stop' : 'run beforeClose';
    try {
      await withTimeout(
        Promise.resolve().then(() => fn(p.ctx)),
        timeoutMs,
        `plugin ${def.name} did not ${what} within ${timeoutMs} ms`,
      );
    } catch (err) {
      logger.error(
        hook === 'stop' ? `plugin ${def.name} failed to stop cleanly` : `plugin ${def.name} failed in beforeClose`,
        { err, plugin: def.name },
      );
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
