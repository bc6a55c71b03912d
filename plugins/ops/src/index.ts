import { definePlugin } from '@aihub/core/plugin-api';
import { opsConfig, type OpsConfig } from './config';
import { opsMigrations } from './migrations';
import { opsRoutes } from './routes';
import { OpsRuntime } from './runtime';

/**
 * Operations automation: rules on live, cluster-wide signals (per-deployment error ratio and
 * latency, time to first token, breakers, budget alerts, spend anomalies, usage queue lag, health
 * checks) that drain and restore deployments, shift weights, force breakers, switch aliases to their
 * fallbacks, suspend keys and send signed webhooks — with probing recovery, dry-run, a cap on actions,
 * one acting instance, and every decision recorded with its reason.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'ops',
  version: '0.1.0',
  core: '^0.1.0',
  description:
    'Automation rules on live signals: drain, reweight, switch to fallback, suspend keys, webhooks; probing recovery',
  // Started after the plugins it acts through and reads from (all optional: without ai, rules on
  // tenants and health still run; without usage, spend and budget signals are empty).
  optionalDependsOn: ['ai', 'auth', 'usage', 'tenancy', 'health'],
  routePrefix: '',
  config: opsConfig,
  migrations: opsMigrations,
  // `start` comes first: TypeScript infers `ctx.runtime` (the OpsRuntime) from what it returns.
  async start(ctx) {
    const rt = new OpsRuntime(ctx);
    await rt.start();
    return rt;
  },
  routes: (router, ctx) => opsRoutes(router, () => ctx.runtime),
  // Rules act only once the whole gateway serves (a start that fails later never acts).
  ready(ctx) {
    ctx.runtime.engine.start();
  },
  async beforeClose(ctx) {
    await ctx.runtime.engine.stop();
  },
  async stop(ctx) {
    await ctx.runtime.stop();
  },
});

export { opsConfig, type OpsConfig };
export { robustZ } from './signals/spend';
export { signBody } from './webhook';
