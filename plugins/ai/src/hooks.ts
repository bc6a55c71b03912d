import { requestMeta } from '@aihub/core/plugin-api';
import {
  AiCallKey,
  GatewayError,
  gatewayOverheadMs,
  PrincipalKey,
  TenantKey,
  defineStateKey,
  type AiCallInfo,
  type GatewayContext,
  type HookDefinition,
  type Principal,
  type RouteInfo,
  type TenantContext,
} from '@aihub/core/plugin-api';
import { AiCall } from './engine/AiCall';
import type { Experiment, ModelRoute } from './routing/catalog';
import { modelNotAllowed, principalMayUse } from './keyModels';
import { messagesToChat, servedOnlyBy } from './messages/toChat';
import { prepareResponses } from './responses/prepare';
import { assignVariant } from './routing/select';
import { applyTransforms } from './transforms';
import type { Operation } from './types';
import { validateBody } from './validate';
import type { AiContext } from './runtime';
import { AiErrors } from './errors';

/** The ai plugin's own per-request state. */
export const CallKey = defineStateKey<AiCall>('ai.call');

export const CHAT_PATH = '/v1/chat/completions';
export const EMBEDDINGS_PATH = '/v1/embeddings';
/** The Anthropic Messages ingress: translated to a chat call, answered in Anthropic's format. */
export const MESSAGES_PATH = '/v1/messages';
/** The OpenAI Responses ingress: translated to a chat call, answered (and stored) as a Response. */
export const RESPONSES_PATH = '/v1/responses';

const isInvoke = (route: RouteInfo) =>
  route.plugin === 'ai' &&
  (route.path === CHAT_PATH ||
    route.path === EMBEDDINGS_PATH ||
    route.path === MESSAGES_PATH ||
    route.path === RESPONSES_PATH);

/**
 * OpenAI answers 404 model_not_found both for models that do not exist and for models the caller
 * may not use; so does the gateway, so a tenant cannot learn which aliases other tenants have.
 */
export function modelNotFound(model: string): GatewayError {
  return AiErrors.create('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: 'model',
  });
}

/** The tenant's allowedModels: absent, or containing `*`, means every alias. */
export function modelAllowed(tenant: TenantContext | undefined, alias: string): boolean {
  const allowed = tenant?.settings?.allowedModels;
  return !Array.isArray(allowed) || allowed.includes('*') || allowed.includes(alias);
}

/**
 * Who keeps the same variant. `user`: the end user the client names in the request's `user` field,
 * else the principal's user, else the principal; `key`: the API key (or OAuth client). Prefixed
 * with the tenant so equal ids in two tenants are independent. Undefined → a random pick.
 */
function stickySubject(
  exp: Experiment,
  principal: Principal | undefined,
  body: Record<string, unknown>,
  tenantId: string | null,
): string | undefined {
  let id: string | undefined;
  if (exp.stickyBy === 'key') id = principal?.keyId ?? principal?.clientId ?? principal?.subject;
  else
    id =
      (typeof body.user === 'string' && body.user ? body.user : undefined) ?? principal?.userId ?? principal?.subject;
  return id === undefined ? undefined : `${tenantId ?? ''}:${id}`;
}

/**
 * Validates the body, resolves the model (tenant access, experiment variant), applies the tenant's
 * content transforms and sets AiCallKey, all before cache.lookup so the cache sees the final
 * request. Also used by the handler when the pipeline is off for the route.
 */
export function prepareCall(
  ctx: AiContext,
  c: GatewayContext,
  op: Operation,
  ingress?: 'messages' | 'responses',
  translated?: Record<string, unknown>,
): AiCall {
  const rt = ctx.runtime;
  // A Messages or Responses request becomes the chat request it means; the client's bytes are then not the body sent.
  const messages = ingress === 'messages';
  // Served by Anthropic alone (fallbacks included), a Messages request goes to it as the client wrote it.
  let native =
    messages &&
    servedOnlyBy(
      rt.catalog.routes.get(String((c.request.body as { model?: unknown } | undefined)?.model)),
      'anthropic',
    );
  const body = translated
    ? validateBody('chat', translated)
    : messages
      ? validateBody('chat', messagesToChat(c.request.body, { topK: native, native }))
      : validateBody(op, c.request.body);
  const alias = body.model as string;
  const tenant = TenantKey.get(c);
  const principal = PrincipalKey.get(c);
  if (!rt.catalog.has(alias) || !modelAllowed(tenant, alias)) throw modelNotFound(alias);
  if (!principalMayUse(principal, alias)) throw modelNotAllowed(alias);
  const tenantId = tenant?.id ?? principal?.tenantId ?? null;
  const exp = rt.catalog.experiments.get(alias);
  let route: ModelRoute;
  let experiment: string | undefined;
  let variant: string | undefined;
  if (exp) {
    const v = assignVariant(exp, stickySubject(exp, principal, body, tenantId));
    route = v.route;
    experiment = exp.name;
    variant = v.name;
    c.set('x-aihub-variant', variant);
  } else route = rt.catalog.routes.get(alias)!;
  const changed = op === 'chat' ? applyTransforms(body, tenant?.settings, ctx.config.transforms) : false;
  if (native && changed) {
    // The tenant's transforms (system prompt, templates, PII redaction) apply to the chat request:
    // it is sent instead, so what only the native request could carry is refused, not dropped.
    native = false;
    messagesToChat(c.request.body, { topK: true });
  }
  const stream = op === 'chat' && body.stream === true;
  const ks = requestMeta(c);
  const info: AiCallInfo = {
    requestId: ks.uid,
    endpoint: ingress ?? (op === 'chat' ? 'chat.completions' : 'embeddings'),
    model: alias,
    stream,
  };
  if (experiment !== undefined) {
    info.experiment = experiment;
    info.variant = variant;
  }
  AiCallKey.set(c, info);
  const call = new AiCall(
    {
      op,
      body,
      raw: changed || ingress ? undefined : c.request.rawBody,
      stream,
      clientWantsUsage: (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      native: native
        ? {
            format: 'anthropic',
            body: c.request.body as Record<string, unknown>,
            beta: c.get('anthropic-beta') || undefined,
          }
        : undefined,
    },
    alias,
    route,
    info,
    principal,
    tenantId,
    ks.requestId,
    ks.uid ?? ks.requestId,
    ks.startedAt,
    Math.round(Date.now() - (performance.now() - ks.startedAt)),
    experiment,
    variant,
  );
  CallKey.set(c, call);
  return call;
}

export function aiHooks(ctx: AiContext): HookDefinition[] {
  return [
    {
      name: 'prepare',
      phase: 'request.transform',
      appliesTo: isInvoke,
      // Not async: the kernel attributes a sync throw the same way, and the request costs a promise fewer.
      handle(c, next) {
        // A Responses request may continue a stored conversation: loading it is the one await.
        if (c.path === RESPONSES_PATH) return prepareResponses(ctx, c).then(() => next());
        prepareCall(
          ctx,
          c,
          c.path === EMBEDDINGS_PATH ? 'embeddings' : 'chat',
          c.path === MESSAGES_PATH ? 'messages' : undefined,
        );
        return next();
      },
    },
    {
      // Last in response.transform (highest order, after the cache's capture): every other hook has
      // set its headers or wrapped the body. A stream still the handler's own is then written
      // straight to the socket (see StreamRelay.attach) instead of through Koa's stream pipeline; a
      // body another plugin replaced is left to Koa.
      name: 'stream',
      phase: 'response.transform',
      order: 1_000_000,
      after: ['cache'],
      appliesTo: (route) => route.plugin === 'ai' && route.path === CHAT_PATH,
      handle(c) {
        const relay = CallKey.get(c)?.relay;
        if (!relay || c.headerSent || c.body !== relay.out) return;
        c.respond = false;
        c.set('x-aihub-overhead-ms', gatewayOverheadMs(c));
        relay.attach(c.res);
      },
    },
    {
      // First in response.meter so usage is final before rate-limit reconciles it and usage stores it.
      name: 'usage',
      phase: 'response.meter',
      order: -100,
      before: ['rate-limit', 'usage', 'cache'],
      appliesTo: isInvoke,
      handle(c) {
        const call = CallKey.get(c);
        if (call) ctx.runtime.recorder.publish(c, call);
      },
    },
  ];
}
