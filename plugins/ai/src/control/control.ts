import { errors, type AiControl, type PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from '../config';
import type { AiContext, AiRuntime } from '../runtime';
import { CatalogControl } from './CatalogControl';
import { importLegacyControl } from './legacy';

/**
 * Builds the control service over the runtime's live catalog (plugin start). Its state is the
 * catalog's `control` section, followed with the catalog itself (no poll of its own); state an older
 * version kept in the shared store is moved into the catalog first.
 */
export async function startControl(ctx: PluginContext<AiConfig>, rt: AiRuntime): Promise<void> {
  await importLegacyControl(rt.live, ctx.store, ctx.logger);
  rt.control = new CatalogControl(rt.live);
}

export function stopControl(ctx: AiContext): Promise<void> {
  ctx.runtime.control = undefined;
  return Promise.resolve();
}

/** The AI_CONTROL service: bound at register time, answering once the plugin has started. */
export function controlService(ctx: AiContext): AiControl {
  const o = (): CatalogControl => {
    // Consumers start after ai (their dependsOn), so the runtime is there; after stop, 503.
    const control = ctx.runtime.control;
    if (!control) throw errors.unavailable('The ai plugin is not running.', 'ai_unavailable');
    return control;
  };
  return {
    deployments: () => o().deployments(),
    aliases: () => o().aliases(),
    drain: (d, reason, origin) => o().drain(d, reason, origin),
    restore: (d, origin) => o().restore(d, origin),
    setWeight: (a, d, w, origin) => o().setWeight(a, d, w, origin),
    forceBreaker: (d, s, origin) => o().forceBreaker(d, s, origin),
    switchToFallback: (a, on, origin) => o().switchToFallback(a, on, origin),
    probe: (d, t) => o().probe(d, t),
  };
}
