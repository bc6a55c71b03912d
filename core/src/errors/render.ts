import type { Context } from 'koa';
import type { GatewayError } from './GatewayError';

/** Where the request was headed decides the error body format. */
export type ErrorStyle = 'openai' | 'problem';

export function errorStyleFor(path: string): ErrorStyle {
  return path.startsWith('/admin/') ? 'problem' : 'openai';
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
  if (errorStyleFor(ctx.path) === 'problem') {
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
