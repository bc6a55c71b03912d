import { type HookDefinition, type PluginContext, CoreErrors } from '@aihub/core/plugin-api';
import type { ExampleConfig } from './config';

/** Counts of what the plugin did: its runtime (`ctx.runtime`), read by its route and health check. */
export interface ExampleStats {
  stamped: number;
  rejected: number;
}

export function exampleHooks(ctx: PluginContext<ExampleConfig, ExampleStats>): HookDefinition[] {
  // Longest prefix first, so `/v1/embeddings` can be stricter than `/v1`.
  const limits = [...ctx.config.limits].sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  return [
    {
      name: 'size-limit',
      phase: 'request.correlate',
      // Only routes covered by a limit get this hook at all: no per-request cost elsewhere.
      appliesTo: (route) => route.pipeline && limits.some((l) => route.path.startsWith(l.pathPrefix)),
      // Not async: nothing happens after next(), so its promise is returned as is (docs/plugins.md §3).
      handle(c, next) {
        const size = Number(c.get('content-length') || 0);
        const limit = limits.find((l) => c.path.startsWith(l.pathPrefix));
        if (limit && size > limit.maxBytes) {
          ctx.runtime.rejected++;
          throw CoreErrors.create(
            'request_too_large',
            `Requests to ${limit.pathPrefix} may be at most ${limit.maxBytes} bytes; this one is ${size}.`,
            { param: null },
          );
        }
        return next();
      },
    },
    {
      name: 'stamp',
      phase: 'response.transform',
      handle(c) {
        ctx.runtime.stamped++;
        c.set(ctx.config.stampHeader, ctx.config.stampValue);
      },
    },
  ];
}
