import { mountDeadLetterRoutes, type PluginContext, type PluginRouter } from '@aihub/core/plugin-api';
import { analyticsRoutes } from './analytics/routes';
import type { BehaviorConfig } from './config';
import { ingestRoutes } from './ingest/routes';
import { EVENTS_TOPIC } from './metrics';
import type { BehaviorRuntime } from './runtime';

export function routes(router: PluginRouter, ctx: PluginContext<BehaviorConfig>, rt: BehaviorRuntime): void {
  ingestRoutes(router, ctx, { keys: rt.keys, metrics: rt.metrics, settings: rt.settings });
  analyticsRoutes(router, ctx, rt.analytics, rt.metrics, rt.keys);
  mountDeadLetterRoutes(router, ctx, {
    topic: EVENTS_TOPIC,
    store: rt.consumer.deadLetters,
    operation: 'BehaviorEvent',
  });
}
