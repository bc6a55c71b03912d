import { PrincipalKey, TenantKey, validated, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { modelAllowed } from '../hooks';
import type { Rates } from '../pricing';
import type { ModelRoute } from '../routing/catalog';
import { authorize } from './experiments';
import type { AiContext } from '../runtime';

export const catalogParams = z.object({ tenantId: z.string().min(1).max(64) });

const deploymentView = z.object({
  id: z.string(),
  provider: z.string().describe('Provider name in the configuration'),
  provider_type: z.string(),
  model: z.string().describe('Upstream model name'),
  weight: z.number(),
  price: z
    .object({
      input: z.number().describe('USD per million prompt tokens'),
      output: z.number().describe('USD per million completion tokens'),
      cached_input: z.number().describe('USD per million prompt tokens read from the provider’s cache'),
      cache_write: z
        .number()
        .describe('USD per million prompt tokens written to the provider’s cache (Anthropic 5-minute, Bedrock)'),
      cache_write_1h: z.number().describe('USD per million prompt tokens written to Anthropic’s 1-hour cache'),
      tiers: z
        .array(
          z.object({
            above: z.number().describe('Applies to the whole request when the prompt has more tokens than this'),
            input: z.number(),
            output: z.number(),
            cached_input: z.number(),
            cache_write: z.number(),
            cache_write_1h: z.number(),
          }),
        )
        .describe('Rates for long prompts (e.g. over 200k tokens); empty when the model has one rate'),
      source: z
        .enum(['deployment', 'config', 'genai-prices'])
        .describe('deployment: its priceOverride; config: pricing[model or alias]; genai-prices: the built-in table'),
    })
    .nullable()
    .describe('Null: unpriced (requests recorded with an unknown cost)'),
  breaker: z.enum(['closed', 'half-open', 'open']).describe('This instance’s circuit breaker'),
  latency_ms: z.number().nullable().describe('This instance’s moving average time to first byte; null until measured'),
});
const aliasView = z.object({
  alias: z.string(),
  kind: z.enum(['model', 'experiment']),
  source: z
    .enum(['file', 'api'])
    .describe(
      'file: from the config file; api: set through the catalog admin API (/admin/v1/ai/catalog), which wins over the file',
    ),
  strategy: z.string().nullable(),
  fallbacks: z.array(z.string()),
  deployments: z.array(deploymentView),
  variants: z
    .array(z.object({ name: z.string(), weight: z.number(), deployments: z.array(deploymentView) }))
    .describe('Experiment aliases: the arms'),
});
export const catalogView = z.object({
  tenant_id: z.string(),
  scope: z
    .enum(['instance'])
    .describe('Breaker and latency figures are this instance’s (the ai plugin keeps no shared stats)'),
  editable: z
    .boolean()
    .describe('True when the caller may change the catalog through /admin/v1/ai/catalog (platform superadmins)'),
  aliases: z.array(aliasView),
});

/** A price's rates in the view's names, cache-write rates defaulted as they are charged. */
function rates(r: Rates): {
  input: number;
  output: number;
  cached_input: number;
  cache_write: number;
  cache_write_1h: number;
} {
  const write = r.cacheWrite ?? r.input;
  return {
    input: r.input,
    output: r.output,
    cached_input: r.cachedInput,
    cache_write: write,
    cache_write_1h: r.cacheWrite1h ?? write,
  };
}

function deployments(route: ModelRoute): z.output<typeof deploymentView>[] {
  return route.entries.map((e) => ({
    id: e.dep.id,
    provider: e.dep.provider.name,
    provider_type: e.dep.provider.type,
    model: e.dep.model,
    weight: e.weight,
    price: e.price
      ? {
          ...rates(e.price),
          tiers: (e.price.tiers ?? []).map((t) => ({ above: t.above, ...rates(t.rates) })),
          source: e.price.source,
        }
      : null,
    breaker: e.dep.breaker.state,
    latency_ms: e.dep.latencyMs > 0 ? Math.round(e.dep.latencyMs) : null,
  }));
}

/**
 * GET /admin/v1/tenants/:tenantId/models: every alias the tenant may use (a superadmin: every
 * alias) with its deployments, prices and where each came from, breaker states and latency.
 */
export function catalogSummary(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    // One snapshot for the whole answer: a catalog change meanwhile does not mix two versions.
    const snap = ctx.runtime.live.current;
    const tenantId = validated<Record<string, unknown>, z.output<typeof catalogParams>>(c).params.tenantId;
    authorize(ctx, c, tenantId);
    const superadmin = PrincipalKey.get(c)?.superadmin === true;
    const tenant = TenantKey.get(c);
    // The tenant's allowedModels apply to its members; a superadmin sees the whole catalog.
    const visible = snap.catalog.aliases.filter((a) => superadmin || modelAllowed(tenant, a));
    const aliases = visible.map((alias) => {
      const exp = snap.catalog.experiments.get(alias);
      if (exp) {
        return {
          alias,
          kind: 'experiment' as const,
          source: snap.sources.experiments[exp.name]?.source ?? 'file',
          strategy: null,
          fallbacks: [],
          deployments: [],
          variants: exp.variants.map((v) => ({ name: v.name, weight: v.weight, deployments: deployments(v.route) })),
        };
      }
      const r = snap.catalog.routes.get(alias)!;
      return {
        alias,
        kind: 'model' as const,
        source: snap.sources.models[alias]?.source ?? 'file',
        strategy: r.strategy ?? null,
        fallbacks: r.fallbacks.map((f) => f.alias),
        deployments: deployments(r),
        variants: [],
      };
    });
    c.body = { tenant_id: tenantId, scope: 'instance', editable: superadmin, aliases };
  };
}
