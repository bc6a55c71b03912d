import type { HealthCheck, PluginContext } from '@aihub/core/plugin-api';
import type { AiConfig } from './config';
import { runtimeOf } from './runtime';

/**
 * Readiness contribution: every deployment's breaker state in the details. An open breaker does not
 * fail readiness by default: every gateway instance calls the same upstreams, so taking instances
 * out of the load balancer would turn one provider's outage into a gateway outage for every model.
 * With `health.failReadinessWhenModelUnavailable`, readiness fails while some alias has no
 * deployment left (all breakers open, its fallback aliases' included).
 */
export function aiHealth(ctx: PluginContext<AiConfig>): HealthCheck[] {
  return [
    {
      name: 'providers',
      kind: 'readiness',
      async check() {
        const rt = runtimeOf(ctx);
        const breakers: Record<string, string> = {};
        for (const [id, d] of rt.catalog.deployments) breakers[id] = d.breaker.state;
        const unavailable = rt.catalog.unavailableAliases();
        if (unavailable.length && ctx.config.health.failReadinessWhenModelUnavailable) {
          throw new Error(`no available deployment (all circuit breakers open) for: ${unavailable.join(', ')}`);
        }
        return { breakers, open: Object.keys(breakers).filter((k) => breakers[k] !== 'closed'), unavailableModels: unavailable, servedByFallback: rt.catalog.servedByFallback() };
      },
    },
  ];
}
