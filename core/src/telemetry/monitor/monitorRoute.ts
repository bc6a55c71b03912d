import { z } from 'zod';
import { PrincipalKey } from '../../contracts';
import { errors } from '../../errors/GatewayError';
import { validated } from '../../http/validate';
import type { CollectedRoute } from '../../kernel/collectPlugin';
import type { LiveMonitor } from './LiveMonitor';

/** The path of the live monitoring wall's data. */
export const MONITOR_ROUTE_PATH = '/admin/v1/monitor';

const percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });
const figures = {
  requests: z.number(),
  requests_per_second: z.number(),
  errors: z.object({ client: z.number(), rate_limited: z.number(), server: z.number(), total: z.number() }),
  errors_per_second: z.number(),
  error_ratio: z.number().nullable(),
  latency_ms: percentiles,
  ttft_ms: percentiles,
  spend_usd: z.number(),
  spend_per_minute_usd: z.number(),
  cache: z.object({ hits: z.number(), misses: z.number(), hit_ratio: z.number().nullable() }),
  rate_limited: z.number(),
  queue_lag: z.number().nullable(),
};
const breakerState = z.enum(['closed', 'half_open', 'open']);

const monitorResponse = z.object({
  object: z.literal('monitor'),
  generated_at: z.string(),
  window_seconds: z.number(),
  interval_ms: z.number(),
  source: z.enum(['redis', 'memory']),
  cluster: z.object({
    ...figures,
    breakers: z.array(
      z.object({
        deployment: z.string(),
        state: breakerState,
        open_instances: z.number(),
        half_open_instances: z.number(),
      }),
    ),
    series: z.array(
      z.object({
        t: z.string(),
        requests: z.number(),
        errors: z.number(),
        spend_usd: z.number(),
        latency_p95_ms: z.number().nullable(),
        ttft_p95_ms: z.number().nullable(),
        cache_hits: z.number(),
        rate_limited: z.number(),
      }),
    ),
  }),
  instances: z.array(
    z.object({
      instance_id: z.string(),
      started_at: z.string(),
      last_seen: z.string(),
      ...figures,
      breakers: z.array(z.object({ deployment: z.string(), state: breakerState })),
    }),
  ),
});

/**
 * GET /admin/v1/monitor: the live monitoring wall's figures over the last `window` seconds, merged
 * over every gateway instance that published in the last TTL (not only the one answering), with a
 * row per instance. Platform admins only: the figures are the whole platform's (request metrics carry
 * no tenant unless `telemetry.metrics.tenantLabels` is on, so a tenant-scoped wall is not offered).
 */
export function monitorRoute(monitor: LiveMonitor): CollectedRoute {
  const max = monitor.windowSeconds;
  const minimum = Math.max(1, Math.ceil(monitor.intervalMs / 1000));
  const query = z
    .object({
      window: z.coerce
        .number()
        .int(`window must be a whole number of seconds from ${minimum} to ${max}`)
        .min(minimum, `window must be a whole number of seconds from ${minimum} to ${max}`)
        .max(
          max,
          `window must be a whole number of seconds from ${minimum} to ${max} (telemetry.monitor.windowSeconds)`,
        )
        .default(Math.min(60, max))
        .describe('Seconds of history to sum over (rates divide by it)'),
    })
    .strict();
  return {
    handler: async (c) => {
      if (PrincipalKey.get(c)?.superadmin !== true)
        throw errors.forbidden(
          'The monitoring wall is for platform admins: use a superadmin key or token.',
          'platform_admin_required',
        );
      const { window } = validated<{ window: number }>(c).query;
      c.set('cache-control', 'no-store');
      try {
        c.body = await monitor.view(window);
      } catch {
        // The board is Redis here (memory never fails): say what is missing rather than a bare 500.
        throw errors.unavailable(
          'The monitoring wall cannot read the instances’ snapshots: Redis (redis.url) is unreachable. It answers again once Redis is back.',
          'monitor_unavailable',
        );
      }
    },
    info: {
      method: 'GET',
      path: MONITOR_ROUTE_PATH,
      plugin: 'core',
      auth: 'required',
      body: 'none',
      pipeline: true,
      scopes: ['admin:read'],
      tags: ['admin', 'platform'],
      errors: 'problem',
      summary: 'Live signals of every gateway instance, merged, with a row per instance (platform admins)',
      schema: { query, responses: { 200: monitorResponse }, tag: 'platform', operationId: 'getMonitor' },
    },
  };
}
