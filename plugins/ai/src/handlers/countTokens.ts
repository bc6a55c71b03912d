import { PrincipalKey, TenantKey, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { modelAllowed, modelNotFound } from '../hooks';
import { modelNotAllowed, principalMayUse } from '../keyModels';
import { messagesToChat, servedOnlyBy } from '../messages/toChat';
import { AnthropicProvider } from '../providers/anthropic/adapter';
import { estimatePromptTokens, loadTokenizer } from '../tokenCount';
import type { AiContext } from '../runtime';

/**
 * POST /v1/messages/count_tokens: the prompt's input tokens. A model served by Anthropic alone is
 * counted by Anthropic's own count_tokens (exact, free; `x-aihub-token-count: anthropic`). Any
 * other model — or when Anthropic cannot be asked — is counted with the tokenizer the gateway uses
 * for its own estimates (o200k_base) over the request as it would be sent: an estimate, exact only
 * for models that use that tokenizer, and the answer says so in `x-aihub-token-count: estimate`.
 * The same access rules as /v1/messages apply.
 */
export function countTokensHandler(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const raw = c.request.body as Record<string, unknown> | undefined;
    const route = rt.catalog.routes.get(String((raw as { model?: unknown } | undefined)?.model));
    const native = servedOnlyBy(route, 'anthropic');
    // count_tokens takes no max_tokens; the rest is validated as /v1/messages validates it.
    const body = messagesToChat(
      raw && typeof raw === 'object' && !Array.isArray(raw) ? { max_tokens: 1, ...raw } : raw,
      { topK: native, native },
    );
    const alias = body.model as string;
    if (!rt.catalog.has(alias) || !modelAllowed(TenantKey.get(c), alias)) throw modelNotFound(alias);
    if (!principalMayUse(PrincipalKey.get(c), alias)) throw modelNotAllowed(alias);
    const entry = native ? route?.entries.find((e) => e.dep.breaker.state !== 'open' && !e.dep.drained) : undefined;
    if (entry && entry.dep.provider instanceof AnthropicProvider) {
      try {
        const n = await entry.dep.provider.countTokens(raw!, entry.dep.model, c.get('anthropic-beta') || undefined);
        c.set('x-aihub-token-count', 'anthropic');
        c.status = 200;
        c.body = { input_tokens: n };
        return;
      } catch (err) {
        // The estimate below still answers; the operator learns why Anthropic was not asked.
        ctx.logger.warn('Anthropic count_tokens failed; answering with the estimate', {
          err,
          deployment: entry.dep.id,
        });
      }
    }
    await loadTokenizer(); // loaded at its first use, not at start (tokenCount.ts)
    c.set('x-aihub-token-count', 'estimate');
    c.status = 200;
    c.body = { input_tokens: estimatePromptTokens(body) };
  };
}
