import type { Context } from 'koa';
import type { z } from 'zod';
import { GatewayError } from '../errors/GatewayError';
import { formatPath } from '../config/problems';
import type { RouteSchema } from '../kernel/types';

const VALIDATED = Symbol('aihub.validated');

export interface Validated<Q = Record<string, unknown>, P = Record<string, string>> {
  query: Q;
  params: P;
}

/** Parsed query and path params of a route with `schema.query` / `schema.params`. */
export function validated<Q = Record<string, unknown>, P = Record<string, string>>(ctx: Context): Validated<Q, P> {
  const v = (ctx.state as Record<symbol, Validated<Q, P> | undefined>)[VALIDATED];
  return v ?? { query: ctx.query as Q, params: ((ctx as unknown as { params?: P }).params ?? {}) as P };
}

function fail(where: 'body' | 'query' | 'params', error: z.ZodError): GatewayError {
  const issues = error.issues.map((i) => ({ path: formatPath([where, ...i.path]), message: i.message, code: i.code }));
  const first = issues[0];
  return new GatewayError(`Invalid ${where}: ${first.path} ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}.`, {
    code: 'validation_failed',
    status: 400,
    param: first.path.replace(/^(body|query|params)\.?/, '') || null,
    details: { errors: issues },
  });
}

/** Validates body, query and params against a route's schema; replaces them with parsed values. */
export function validateRequest(ctx: Context, schema: RouteSchema): void {
  if (schema.body) {
    const r = schema.body.safeParse(ctx.request.body ?? {});
    if (!r.success) throw fail('body', r.error);
    ctx.request.body = r.data;
  }
  let query = ctx.query as unknown;
  let params: unknown = (ctx as unknown as { params?: unknown }).params ?? {};
  if (schema.query) {
    const r = schema.query.safeParse(ctx.query);
    if (!r.success) throw fail('query', r.error);
    query = r.data;
  }
  if (schema.params) {
    const r = schema.params.safeParse(params);
    if (!r.success) throw fail('params', r.error);
    params = r.data;
  }
  (ctx.state as Record<symbol, unknown>)[VALIDATED] = { query, params };
}
