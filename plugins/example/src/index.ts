import { definePlugin } from '@aihub/core/plugin-api';
import { exampleConfig, type ExampleConfig } from './config';
import { exampleHooks, type ExampleStats } from './hooks';

const stats: ExampleStats = { stamped: 0, rejected: 0 };

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
  hooks: (ctx) => exampleHooks(ctx, stats),
  routes(router, ctx) {
    // Mounted at /plugins/example/info.
    router.get('/info', (c) => {
      c.body = { header: ctx.config.stampHeader, limits: ctx.config.limits, stats };
    }, { auth: 'none', summary: 'What the example plugin is configured to do and has done' });
    // Mounted at /plugins/example/echo: answers with the size of what it received.
    router.post('/echo', (c) => {
      c.body = { bytes: c.request.rawBody?.length ?? 0, body: c.request.body ?? null };
    }, { auth: 'none', summary: 'Echoes a JSON body and its size' });
  },
  health: [{ name: 'example', check: async () => ({ ...stats }) }],
  start(ctx) {
    ctx.logger.info('example plugin started', { limits: ctx.config.limits.length });
  },
});

export { exampleConfig, type ExampleConfig };
