import { PrincipalKey, TenantKey, validated, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { modelAllowed, modelNotFound } from '../hooks';
import { principalMayUse } from '../keyModels';
import type { AiContext } from '../runtime';

/** An alias' list price (its first priced deployment), USD per million tokens; null when unknown. */
function pricing(rt: AiContext['runtime'], alias: string) {
  const price = rt.catalog.routes.get(alias)?.entries.find((e) => e.price)?.price;
  if (!price) return null;
  return {
    currency: 'USD',
    unit: 'per_million_tokens',
    input: price.input,
    output: price.output,
    cached_input: price.cachedInput,
  };
}

/** A model object (OpenAI's shape) with its `pricing` (API version 2026-12-01; older versions drop it, see versionChanges.ts). */
function modelObject(rt: AiContext['runtime'], id: string) {
  return { id, object: 'model', created: rt.createdAt, owned_by: 'aihub', pricing: pricing(rt, id) };
}

/** GET /v1/models: the aliases the caller's tenant and credential may use (OpenAI's list shape). */
export function listModels(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    const rt = ctx.runtime;
    const tenant = TenantKey.get(c);
    const principal = PrincipalKey.get(c);
    c.body = {
      object: 'list',
      data: rt.catalog.aliases
        .filter((a) => modelAllowed(tenant, a) && principalMayUse(principal, a))
        .map((a) => modelObject(rt, a)),
    };
  };
}

/** GET /v1/models/:model: one alias, or 404 model_not_found (also when the tenant or the key may not use it, as the list hides it). */
export function getModel(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    const rt = ctx.runtime;
    const id = validated<Record<string, unknown>, { model: string }>(c).params.model;
    if (!rt.catalog.has(id) || !modelAllowed(TenantKey.get(c), id) || !principalMayUse(PrincipalKey.get(c), id))
      throw modelNotFound(id);
    c.body = modelObject(rt, id);
  };
}
