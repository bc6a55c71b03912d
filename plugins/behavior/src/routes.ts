import type { PluginContext, PluginRouter } from '@aihub/core/plugin-api';
import { analyticsRoutes } from './analytics/routes';
import type { BehaviorConfig } from './config';
import { ingestRoutes } from './ingest/routes';
import type { BehaviorRuntime } from './runtime';

export function routes(router: PluginRouter, ctx: PluginContext<BehaviorConfig>, rt: BehaviorRuntime): void {
  ingestRoutes(router, ctx, { keys: rt.keys, metrics: rt.metrics, settings: rt.settings });
  analyticsRoutes(router, ctx, rt.analytics, rt.metrics);
}
