import { GatewayError, gatewayOverheadMs, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { CallKey, prepareCall } from '../hooks';
import type { Operation } from '../types';
import type { AiContext } from '../runtime';

/** Completion text of a complete answer (only needed for an estimate when usage is missing). */
function answerText(body: Buffer | string): string {
  try {
    const j = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as {
      choices?: { message?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
    };
    let text = '';
    for (const c of j.choices ?? []) {
      if (typeof c.message?.content === 'string') text += c.message.content;
      for (const t of c.message?.tool_calls ?? [])
        if (typeof t.function?.arguments === 'string') text += t.function.arguments;
    }
    return text;
  } catch {
    return '';
  }
}

/**
 * POST /v1/chat/completions and /v1/embeddings: route the prepared call, then answer with the
 * provider's JSON (bytes as received for OpenAI-compatible upstreams) or pipe the SSE stream.
 */
export function invokeHandler(ctx: AiContext, op: Operation): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const call = CallKey.get(c) ?? prepareCall(ctx, c, op);
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
      rt.recorder.finish(call, 'success', {
        httpStatus: 200,
        usage: a.usage,
        upstreamCalled: true,
        // Read only when the answer has no usable count (none, or one that is not a number of tokens).
        completionText: () => answerText(a.body),
      });
      c.status = 200;
      c.type = 'application/json';
      c.body = a.body;
      return;
    }
    c.status = 200;
    c.type = 'text/event-stream; charset=utf-8';
    c.set('cache-control', 'no-cache');
    c.set('x-accel-buffering', 'no');
    // Headers go out with the first event: the gateway's own time so far (upstream waits excluded).
    c.set('x-aihub-overhead-ms', gatewayOverheadMs(c));
    c.body = out.relay.out;
  };
}
