import { definePlugin, type PluginContext } from '@aihub/core/plugin-api';
import { usageConfig, type UsageConfig } from './config';
import { usageHooks } from './hooks';
import { usageMigrations } from './migrations';
import { routes } from './routes';
import { createRuntime, type UsageRuntime } from './runtime';

/**
 * Usage metering, budgets and billing: consumes the ai plugin's usage records from the EventQueue
 * into usage rows and daily rollups (exactly once per request id), enforces tenant/team/key budgets
 * before the upstream call, and serves usage, CSV export and invoices under /admin/v1.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'usage',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Usage metering, daily rollups, budgets (tenant → team → key), usage API, CSV export and invoices',
  optionalDependsOn: ['tenancy', 'auth', 'rate-limit', 'ai'],
  routePrefix: '',
  config: usageConfig,
  migrations: usageMigrations,
  // Built before hooks and routes, which are wired with its objects; `start` opens them.
  runtime: createRuntime,
  hooks: (ctx) => {
    const rt = ctx.runtime;
    return usageHooks(ctx, rt.resolver, rt.counters, rt.alerts, rt.metrics);
  },
  routes: (router, ctx) => routes(router, ctx, ctx.runtime),
  health: (ctx) => [
    {
      name: 'usage-consumer',
      // Liveness of metering, not readiness: a lagging consumer must not take the gateway out of rotation.
      kind: 'liveness',
      check: async () => {
        const rt = ctx.runtime;
        return { enabled: ctx.config.consumer.enabled, counters_stale: rt.spend.stale };
      },
    },
  ],
  async start(ctx: PluginContext<UsageConfig, UsageRuntime>) {
    const rt = ctx.runtime;
    await rt.overrides.start(ctx.config.budgets.overridesRefreshMs);
    // Counters first: a restart or a flushed Redis must not forget the spend so far.
    await rt.reconciler
      .run('start', false)
      .catch((err) => ctx.logger.warn('initial spend reconciliation failed; retrying on the next check', { err }));
    rt.reconciler.start(ctx.config.budgets.reconcileIntervalMs, ctx.config.budgets.counterCheckMs);
    if (ctx.config.consumer.enabled) rt.consumer.start();
    if (ctx.config.budgets.webhook.url && !ctx.config.budgets.webhook.secret) {
      ctx.logger.warn('budget webhook without a secret: deliveries are not signed; set budgets.webhook.secret');
    }
    void rt.webhook.resume().catch((err) => ctx.logger.warn('could not resume pending budget webhooks', { err }));
  },
  async stop(ctx) {
    const rt = ctx.runtime;
    rt.reconciler.stop();
    rt.webhook.stop();
    await rt.consumer.stop();
    await rt.overrides.stop();
  },
});

export { usageConfig, type UsageConfig };
export { INTERRUPTED_CODE } from './records';
