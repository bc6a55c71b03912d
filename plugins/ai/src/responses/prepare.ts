import { defineStateKey, PrincipalKey, TenantKey, type GatewayContext } from '@aihub/core/plugin-api';
import type { AiCall } from '../engine/AiCall';
import { prepareCall } from '../hooks';
import { newId, parseResponsesRequest, withConversation, type ResponsesRequest } from './toChat';
import type { AiContext } from '../runtime';
import { AiErrors } from '../errors';

type Json = Record<string, unknown>;

/** One Responses request on its way: the parsed request, its new id and the conversation before it. */
export interface ResponsesTurn {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  req: ResponsesRequest;
  /** The stored conversation this request continues (empty without previous_response_id). */
  previous: Json[];
}

export const ResponsesKey = defineStateKey<ResponsesTurn>('ai.responses');

/** The tenant a stored response belongs to (null: a gateway without tenancy). */
export function responseTenant(c: GatewayContext): string | null {
  return TenantKey.get(c)?.id ?? PrincipalKey.get(c)?.tenantId ?? null;
}

/**
 * Validates a Responses request, loads the conversation of `previous_response_id` (the tenant's
 * only: another tenant's id is "not found"), and prepares the chat call it means.
 */
export async function prepareResponses(ctx: AiContext, c: GatewayContext): Promise<AiCall> {
  const req = parseResponsesRequest(c.request.body);
  let previous: Json[] = [];
  if (req.previousResponseId) {
    const found = await ctx.runtime.responses.get(responseTenant(c), req.previousResponseId);
    if (!found) {
      throw AiErrors.create(
        'previous_response_not_found',
        `Previous response with id '${req.previousResponseId}' not found.`,
        { param: 'previous_response_id' },
      );
    }
    previous = found.conversation;
  }
  ResponsesKey.set(c, { id: newId('resp'), createdAt: Math.floor(Date.now() / 1000), req, previous });
  return prepareCall(ctx, c, 'chat', 'responses', withConversation(req, previous));
}
