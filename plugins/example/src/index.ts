import { definePlugin } from '@aihub/core/plugin-api';
import { exampleConfig, type ExampleConfig } from './config';
import { exampleHooks, type ExampleStats } from './hooks';

/**
 * The plugin docs/plugins.md builds step by step: a config schema, a request hook (per-route size
 * limits), a response hook (a header stamp), a route and a health check.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'example',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Per-route request size limits and a response header stamp',
  config: exampleConfig,
  // The runtime, first so TypeScript infers it: each gateway counts for itself (ctx.runtime below).
  start(ctx): ExampleStats {
    ctx.logger.info('example plugin started', { limits: ctx.config.limits.length });
    return { stamped: 0, rejected: 0 };
  },
  hooks: exampleHooks,
  routes(router, ctx) {
    // Mounted at /plugins/example/info.
    router.get(
      '/info',
      (c) => {
        c.body = { header: ctx.config.stampHeader, limits: ctx.config.limits, stats: ctx.runtime };
      },
      { auth: 'none', summary: 'What the example plugin is configured to do and has done' },
    );
    // Mounted at /plugins/example/echo: answers with the size of what it received.
    router.post(
      '/echo',
      (c) => {
        c.body = { bytes: c.request.rawBody?.length ?? 0, body: c.request.body ?? null };
      },
      { auth: 'none', summary: 'Echoes a JSON body and its size' },
    );
  },
  health: (ctx) => [{ name: 'example', check: async () => ({ ...ctx.runtime }) }],
});

export { exampleConfig, type ExampleConfig };
