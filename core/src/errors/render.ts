import type { Context } from 'koa';
import type { GatewayError } from './GatewayError';

/** Where the request was headed decides the error body format. */
export type ErrorStyle = 'openai' | 'problem' | 'anthropic';

/** The Anthropic Messages ingress (`/v1/messages`, `/v1/messages/count_tokens`) answers errors as Anthropic does. */
const isAnthropicPath = (path: string) => path === '/v1/messages' || path.startsWith('/v1/messages/');

export function errorStyleFor(path: string): ErrorStyle {
  if (path.startsWith('/admin/')) return 'problem';
  return isAnthropicPath(path) ? 'anthropic' : 'openai';
}

/** Anthropic's error `type` for a status (https://docs.anthropic.com/en/api/errors). */
function anthropicType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529 || status === 503) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * Writes a GatewayError as the response. OpenAI-compatible routes get `{error:{message,type,param,code}}`
 * (what the official SDKs parse); admin routes get RFC 9457 `application/problem+json`, with the
 * offending field as the `param` extension member when the error names one (the console puts the
 * message on that form field by name).
 */
export function renderError(ctx: Context, err: GatewayError, requestId: string): void {
  const message = err.expose ? err.message : `${err.message} (request id ${requestId})`;
  ctx.status = err.status;
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
  const style = errorStyleFor(ctx.path);
  if (style === 'anthropic') {
    // Anthropic's shape (what @anthropic-ai/sdk parses); the gateway's stable code rides along as `code`.
    ctx.body = {
      type: 'error',
      error: { type: anthropicType(err.status), message, code: err.code },
      request_id: requestId,
    };
    return;
  }
  if (style === 'problem') {
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: `https://aihub.dev/problems/${err.code}`,
      title: err.code.replace(/_/g, ' '),
      status: err.status,
      detail: message,
      code: err.code,
      instance: ctx.path,
      request_id: requestId,
      ...(err.param ? { param: err.param } : {}),
      ...(err.expose && err.details ? err.details : {}),
    };
    return;
  }
  ctx.body = {
    error: {
      message,
      type: err.type,
      param: err.param,
      code: err.code,
      ...(err.expose && err.details ? err.details : {}),
    },
  };
}
