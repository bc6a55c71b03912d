import { pipeline } from 'node:stream';
import { GatewayError, gatewayOverheadMs, type GatewayMiddleware } from '@aihub/core/plugin-api';
import { CallKey, prepareCall } from '../hooks';
import { chatToMessage } from '../messages/fromChat';
import { NativeAnthropicStream } from '../messages/nativeStream';
import { AnthropicSseTransform } from '../messages/streamToAnthropic';
import type { AiContext } from '../runtime';

/**
 * POST /v1/messages (Anthropic Messages API): the request was translated to a chat call in the
 * prepare hook, so routing, fallbacks, limits, pricing and usage are chat's; the answer (JSON or
 * the SSE stream) is translated back to Anthropic's format here. When every deployment of the model
 * is Anthropic the request went natively, and the answer is Anthropic's own (see CallInput.native).
 */
export function messagesHandler(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const call = CallKey.get(c) ?? prepareCall(ctx, c, 'chat', 'messages');
    call.executed = true;
    // Anthropic's SDKs read the request id from `request-id` (message._request_id, stream.request_id).
    c.set('request-id', call.requestId);
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
      if (a.native) {
        rt.recorder.finish(call, 'success', { httpStatus: 200, usage: a.usage, upstreamCalled: true });
        c.status = 200;
        c.type = 'application/json';
        c.body = a.native;
        return;
      }
      const message = chatToMessage(a.body, a.usage, call.alias);
      const content = message.content as { type: string; text?: string; input?: unknown }[];
      rt.recorder.finish(call, 'success', {
        httpStatus: 200,
        usage: a.usage,
        upstreamCalled: true,
        // Read only when the answer has no usable count (none, or one that is not a number of tokens).
        completionText: () => content.map((b) => (b.type === 'text' ? b.text : JSON.stringify(b.input))).join(''),
      });
      c.status = 200;
      c.body = message;
      return;
    }
    c.status = 200;
    c.type = 'text/event-stream; charset=utf-8';
    c.set('cache-control', 'no-cache');
    c.set('x-accel-buffering', 'no');
    c.set('x-aihub-overhead-ms', gatewayOverheadMs(c));
    const sse = call.input.native ? new NativeAnthropicStream() : new AnthropicSseTransform(call.alias);
    // pipeline: a client that leaves destroys `sse`, which destroys the relay's output (the relay cancels the upstream).
    pipeline(out.relay.out, sse, () => {});
    c.body = sse;
  };
}
