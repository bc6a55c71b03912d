import { pipeline } from 'node:stream';
import { GatewayError, gatewayOverheadMs, validated, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { AiCall } from '../engine/AiCall';
import type { RawUsage } from '../types';
import { CallKey } from '../hooks';
import {
  assistantTurn,
  chatOutput,
  responseObject,
  responseUsage,
  statusOf,
  type ResponseTokens,
} from '../responses/fromChat';
import { prepareResponses, responseTenant, ResponsesKey, type ResponsesTurn } from '../responses/prepare';
import { ResponsesSseTransform } from '../responses/stream';
import { type AiRuntime } from '../runtime';
import type { AiContext } from '../runtime';
import { AiErrors } from '../errors';

type Json = Record<string, unknown>;

export const responseParams = z.object({ id: z.string().min(1).max(128) });
export const inputItemsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().max(128).optional(),
});

const notFound = (id: string) =>
  AiErrors.create('response_not_found', `Response with id '${id}' not found.`, { param: null });

/** Token counts of the call: the provider's (`raw`), else as settled (the gateway's estimate). */
function tokensOf(call: AiCall, raw: RawUsage | undefined, reasoningTokens = 0): ResponseTokens | undefined {
  if (raw)
    return {
      promptTokens: raw.promptTokens,
      completionTokens: raw.completionTokens,
      cachedTokens: raw.cachedTokens,
      cacheWriteTokens: raw.cacheWriteTokens ?? 0,
      reasoningTokens: raw.reasoningTokens ?? reasoningTokens,
    };
  const u = call.usage;
  return u
    ? {
        promptTokens: u.promptTokens,
        completionTokens: u.completionTokens,
        cachedTokens: u.cachedTokens,
        cacheWriteTokens: 0,
        reasoningTokens,
      }
    : undefined;
}

/**
 * Stores the response (unless `store: false`) with the conversation a follow-up continues: the
 * earlier turns, this input and this output. A failed write is logged, not failed: the client
 * has its answer, only continuing from it will say "not found".
 */
async function storeResponse(
  ctx: AiContext,
  rt: AiRuntime,
  call: AiCall,
  turn: ResponsesTurn,
  response: Json,
  output: Json[],
): Promise<void> {
  if (!turn.req.store) return;
  const assistant = assistantTurn(output);
  const now = Date.now();
  try {
    await rt.responses.save({
      id: turn.id,
      tenantId: call.tenantId,
      keyId: call.principal?.keyId ?? call.principal?.subject ?? null,
      model: call.alias,
      status: String(response.status),
      response,
      inputItems: turn.req.inputItems,
      conversation: [...turn.previous, ...turn.req.inputMessages, ...(assistant ? [assistant] : [])],
      createdAt: now,
      expiresAt: now + rt.responses.retentionDays * 86_400_000,
    });
  } catch (err) {
    ctx.logger.error('could not store a response; previous_response_id with its id will answer 400', {
      err,
      responseId: turn.id,
    });
  }
}

/**
 * POST /v1/responses (OpenAI Responses API): the request was translated to a chat call in the
 * prepare hook (with the stored conversation of previous_response_id), so routing, fallbacks,
 * limits, pricing and usage are chat's; the answer (JSON or the typed SSE events) is translated
 * to a Response here and stored for follow-ups and GET.
 */
export function createResponse(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const call = CallKey.get(c) ?? (await prepareResponses(ctx, c));
    const turn = ResponsesKey.get(c)!;
    call.executed = true;
    let out;
    try {
      out = await rt.engine.run(c, call);
    } catch (err) {
      const ge = GatewayError.from(err);
      if (call.cancelled)
        rt.recorder.finish(call, 'cancelled', {
          httpStatus: 499,
          errorCode: 'client_closed_request',
          upstreamCalled: call.attempts > 0,
        });
      else
        rt.recorder.finish(call, 'error', {
          httpStatus: ge.status,
          errorCode: ge.code,
          upstreamCalled: call.attempts > 0,
        });
      throw ge;
    }
    if (out.kind === 'json') {
      const a = out.answer;
      const { output, finish, model, reasoningTokens } = chatOutput(a.body);
      rt.recorder.finish(call, 'success', {
        httpStatus: 200,
        usage: a.usage,
        upstreamCalled: true,
        // Read only when the answer has no usable count (none, or one that is not a number of tokens).
        completionText: () =>
          output
            .map((o) => (o.type === 'message' ? ((o.content as Json[])[0].text as string) : String(o.arguments)))
            .join(''),
      });
      const { status, incomplete_details } = statusOf(finish);
      const response = responseObject(turn.id, turn.createdAt, turn.req, model ?? call.alias, {
        status,
        output,
        usage: responseUsage(tokensOf(call, a.usage, reasoningTokens)),
        incomplete_details,
      });
      await storeResponse(ctx, rt, call, turn, response, output);
      c.status = 200;
      c.body = response;
      return;
    }
    c.status = 200;
    c.type = 'text/event-stream; charset=utf-8';
    c.set('cache-control', 'no-cache');
    c.set('x-accel-buffering', 'no');
    c.set('x-aihub-overhead-ms', gatewayOverheadMs(c));
    const sse = new ResponsesSseTransform(
      turn.id,
      turn.createdAt,
      turn.req,
      call.alias,
      (end) => storeResponse(ctx, rt, call, turn, end.response, end.output),
      () => tokensOf(call, call.relay?.translator.usage),
    );
    // pipeline: a client that leaves destroys `sse`, which destroys the relay's output (the relay cancels the upstream).
    pipeline(out.relay.out, sse, () => {});
    c.body = sse;
  };
}

/** GET /v1/responses/:id: a stored response of the caller's tenant. */
export function getResponse(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const { id } = validated<Record<string, unknown>, z.output<typeof responseParams>>(c).params;
    const found = await ctx.runtime.responses.get(responseTenant(c), id);
    if (!found) throw notFound(id);
    c.body = found.response;
  };
}

/** DELETE /v1/responses/:id: removes a stored response of the caller's tenant. */
export function deleteResponse(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const { id } = validated<Record<string, unknown>, z.output<typeof responseParams>>(c).params;
    if (!(await ctx.runtime.responses.delete(responseTenant(c), id))) throw notFound(id);
    c.body = { id, object: 'response', deleted: true };
  };
}

/** GET /v1/responses/:id/input_items: the request's input items (a cursor list, as OpenAI pages it). */
export function listInputItems(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const v = validated<z.output<typeof inputItemsQuery>, z.output<typeof responseParams>>(c);
    const found = await ctx.runtime.responses.get(responseTenant(c), v.params.id);
    if (!found) throw notFound(v.params.id);
    let items = v.query.order === 'desc' ? found.inputItems.slice().reverse() : found.inputItems;
    if (v.query.after) {
      const at = items.findIndex((i) => i.id === v.query.after);
      items = at >= 0 ? items.slice(at + 1) : [];
    }
    const data = items.slice(0, v.query.limit);
    c.body = {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: items.length > data.length,
    };
  };
}
