import { definePlugin, type PluginContext } from '@aihub/core/plugin-api';
import { behaviorConfig, type BehaviorConfig } from './config';
import { behaviorMigrations } from './migrations';
import { routes } from './routes';
import { createRuntime, type BehaviorRuntime } from './runtime';

/**
 * User behavior tracking: Segment-compatible ingestion (/v1/track, identify, page, screen, group,
 * alias, batch) through the EventQueue into events and profiles, analytics (counts, funnels,
 * retention, sessions, profiles, top events and properties), and privacy (PII hashing/dropping,
 * retention, deleting a user).
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'behavior',
  version: '0.1.0',
  core: '^0.1.0',
  description:
    'Segment-compatible event collection, analytics (funnels, retention, sessions, profiles) and per-tenant privacy',
  optionalDependsOn: ['tenancy', 'auth'],
  routePrefix: '',
  config: behaviorConfig,
  migrations: behaviorMigrations,
  // Built before the routes, which are wired with its objects; `start` opens them.
  runtime: createRuntime,
  routes: (router, ctx) => routes(router, ctx, ctx.runtime),
  async start(ctx: PluginContext<BehaviorConfig, BehaviorRuntime>) {
    const rt = ctx.runtime;
    if (ctx.config.consumer.enabled) rt.consumer.start();
  },
  // The retention job deletes data on a timer: it begins once the whole gateway is up (a start that
  // fails in a later plugin never purges anything) and schedules no new pass once draining begins.
  ready(ctx) {
    ctx.runtime.retention.start();
  },
  beforeClose(ctx) {
    ctx.runtime.retention.stop();
  },
  async stop(ctx) {
    const rt = ctx.runtime;
    rt.retention.stop();
    await rt.consumer.stop();
  },
});

export { behaviorConfig, type BehaviorConfig };
export { EVENTS_TOPIC } from './metrics';
export type { StoredEvent } from './ingest/events';
export { rebuildDaily } from './analytics/daily';
