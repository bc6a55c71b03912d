import { PrincipalKey, TenantKey, validated, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { modelAllowed, modelNotFound } from '../hooks';
import { principalMayUse } from '../keyModels';
import type { AiContext } from '../runtime';

function modelObject(id: string, created: number) {
  return { id, object: 'model', created, owned_by: 'aihub' };
}

/** GET /v1/models: the aliases the caller's tenant and credential may use (OpenAI's list shape). */
export function listModels(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    const rt = ctx.runtime;
    const tenant = TenantKey.get(c);
    const principal = PrincipalKey.get(c);
    c.body = { object: 'list', data: rt.catalog.aliases.filter((a) => modelAllowed(tenant, a) && principalMayUse(principal, a)).map((a) => modelObject(a, rt.createdAt)) };
  };
}

/** GET /v1/models/:model: one alias, or 404 model_not_found (also when the tenant or the key may not use it, as the list hides it). */
export function getModel(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    const rt = ctx.runtime;
    const id = validated<Record<string, unknown>, { model: string }>(c).params.model;
    if (!rt.catalog.has(id) || !modelAllowed(TenantKey.get(c), id) || !principalMayUse(PrincipalKey.get(c), id)) throw modelNotFound(id);
    c.body = modelObject(id, rt.createdAt);
  };
}
