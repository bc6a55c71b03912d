import { USAGE_TOPIC, mountDeadLetterRoutes, type PluginContext, type PluginRouter } from '@aihub/core/plugin-api';
import { alertRoutes } from './api/alertRoutes';
import { budgetReport, budgetRoutes } from './api/budgetRoutes';
import { requestRoutes } from './api/requestRoutes';
import { summaryRoute } from './api/summaryRoute';
import { usageRoutes } from './api/usageRoutes';
import type { UsageConfig } from './config';
import type { UsageRuntime } from './runtime';

export function routes(router: PluginRouter, ctx: PluginContext<UsageConfig>, rt: UsageRuntime): void {
  usageRoutes(router, ctx, rt.reader, rt.sql, rt.tables);
  budgetRoutes(router, ctx, rt.overrides, rt.resolver, rt.reader);
  summaryRoute(router, ctx, rt.reader, rt.sql, rt.tables, budgetReport(ctx, rt.overrides, rt.resolver, rt.reader));
  alertRoutes(router, ctx, rt.sql, rt.tables.alerts);
  requestRoutes(router, ctx, rt.sql, rt.tables);
  mountDeadLetterRoutes(router, ctx, { topic: USAGE_TOPIC, store: rt.consumer.deadLetters, operation: 'UsageRecord' });
}
