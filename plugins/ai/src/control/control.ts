import { errors, type AiControl, type PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from '../config';
import type { AiContext, AiRuntime } from '../runtime';
import { OpsOverlay } from './OpsOverlay';

/** How often an instance re-reads the control state even without an announcement (a missed pub/sub message). */
const SYNC_MS = 1_000;

/** Builds and starts the control overlay over the runtime's catalog (plugin start). */
export async function startControl(ctx: PluginContext<AiConfig>, rt: AiRuntime): Promise<void> {
  const overlay = new OpsOverlay(() => rt.catalog, ctx.store, rt.metrics, ctx.logger);
  await overlay.start(SYNC_MS);
  // A live catalog change builds new routes: give them the control state now, not at the next poll.
  rt.live.onSwap(() => void overlay.sync());
  rt.control = overlay;
}

export async function stopControl(ctx: AiContext): Promise<void> {
  const overlay = ctx.runtime.control;
  ctx.runtime.control = undefined;
  await overlay?.close();
}

/** The AI_CONTROL service: bound at register time, answering once the plugin has started. */
export function controlService(ctx: AiContext): AiControl {
  const o = (): OpsOverlay => {
    // Consumers start after ai (their dependsOn), so the runtime is there; after stop, 503.
    const overlay = ctx.runtime.control;
    if (!overlay) throw errors.unavailable('The ai plugin is not running.', 'ai_unavailable');
    return overlay;
  };
  return {
    deployments: () => o().deployments(),
    aliases: () => o().aliases(),
    drain: (d, reason) => o().drain(d, reason),
    restore: (d) => o().restore(d),
    setWeight: (a, d, w) => o().setWeight(a, d, w),
    forceBreaker: (d, s) => o().forceBreaker(d, s),
    switchToFallback: (a, on) => o().switchToFallback(a, on),
    probe: (d, t) => o().probe(d, t),
  };
}
