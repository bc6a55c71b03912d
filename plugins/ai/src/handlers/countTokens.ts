import { PrincipalKey, TenantKey, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { modelAllowed, modelNotFound } from '../hooks';
import { modelNotAllowed, principalMayUse } from '../keyModels';
import { messagesToChat } from '../messages/toChat';
import { estimatePromptTokens } from '../tokens';
import type { AiContext } from '../runtime';

/**
 * POST /v1/messages/count_tokens: the prompt's input tokens, counted with the tokenizer the
 * gateway uses for its own estimates (o200k_base) over the request as it would be sent. It is an
 * estimate — exact only for models that use that tokenizer — and the answer says so in
 * `x-aihub-token-count: estimate`. The same access rules as /v1/messages apply.
 */
export function countTokensHandler(ctx: AiContext): GatewayMiddleware {
  return (c) => {
    const rt = ctx.runtime;
    const raw = c.request.body as Record<string, unknown> | undefined;
    // count_tokens takes no max_tokens; the rest is validated as /v1/messages validates it.
    const body = messagesToChat(raw && typeof raw === 'object' && !Array.isArray(raw) ? { max_tokens: 1, ...raw } : raw);
    const alias = body.model as string;
    if (!rt.catalog.has(alias) || !modelAllowed(TenantKey.get(c), alias)) throw modelNotFound(alias);
    if (!principalMayUse(PrincipalKey.get(c), alias)) throw modelNotAllowed(alias);
    c.set('x-aihub-token-count', 'estimate');
    c.status = 200;
    c.body = { input_tokens: estimatePromptTokens(body) };
  };
}
