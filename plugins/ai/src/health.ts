import type { HealthCheck } from '@aihub/core/plugin-api';
import { missingApiKeys, modelsWithoutKey } from './providerKeys';
import type { AiContext } from './runtime';

/**
 * Readiness contribution: every deployment's breaker state in the details, and the providers without
 * an API key (`missingApiKeys`, `modelsWithoutKey`). A missing key does not fail readiness: it
 * is the same on every instance (from the shared config), so failing would take the whole fleet out
 * of the load balancer, and with it the admin API and console an operator fixes things through; the
 * models of other providers still answer, and those of the keyless ones answer 503
 * `provider_not_configured` (nothing is sent upstream). It is a warning at start and a detail here.
 *
 * An open breaker does not fail readiness by default either: every gateway instance calls the same upstreams, so taking instances
 * out of the load balancer would turn one provider's outage into a gateway outage for every model.
 * With `health.failReadinessWhenModelUnavailable`, readiness fails while some alias has no
 * deployment left (all breakers open, its fallback aliases' included).
 */
export function aiHealth(ctx: AiContext): HealthCheck[] {
  return [
    {
      name: 'providers',
      kind: 'readiness',
      async check() {
        const rt = ctx.runtime;
        const breakers: Record<string, string> = {};
        for (const [id, d] of rt.catalog.deployments) breakers[id] = d.breaker.state;
        const unavailable = rt.catalog.unavailableAliases();
        if (unavailable.length && ctx.config.health.failReadinessWhenModelUnavailable) {
          throw new Error(`no available deployment (all circuit breakers open) for: ${unavailable.join(', ')}`);
        }
        const missing = missingApiKeys(rt.catalogConfig, rt.keyOrigin());
        return {
          breakers,
          open: Object.keys(breakers).filter((k) => breakers[k] !== 'closed'),
          unavailableModels: unavailable,
          servedByFallback: rt.catalog.servedByFallback(),
          ...(missing.length
            ? {
                // The machine-readable state of each: present, but unable to serve until a key is set.
                unconfiguredProviders: missing.map((m) => m.provider),
                missingApiKeys: missing.map((m) => m.message),
                modelsWithoutKey: modelsWithoutKey(rt.catalogConfig, missing),
              }
            : {}),
        };
      },
    },
  ];
}
