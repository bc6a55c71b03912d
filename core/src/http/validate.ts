import type { Context } from 'koa';
import type { z } from 'zod';
import { GatewayError } from '../errors/GatewayError';
import { formatPath } from '../config/problems';
import type { RouteSchema } from '../kernel/types';
import { CoreErrors } from '../errors/coreErrors';

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
  return CoreErrors.create(
    'validation_failed',
    `Invalid ${where}: ${first.path} ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}.`,
    { param: first.path.replace(/^(body|query|params)\.?/, '') || null, details: { errors: issues } },
  );
}

/** True when a string (or a string inside an array) holds U+0000. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  return false;
}

/**
 * No id, name or filter contains U+0000, and no database takes it: PostgreSQL refuses it in text, and
 * Sequelize's SQLite dialect inlines values into SQL where a NUL cuts the statement short (a 500).
 * Refused here once, as a 400 naming the parameter, instead of in every store.
 */
function refuseNul(where: 'query' | 'params', values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!hasNul(value)) continue;
    throw CoreErrors.create(
      'validation_failed',
      `Invalid ${where}: ${where}.${name} contains a NUL character (U+0000); remove it.`,
      {
        param: name,
        details: { errors: [{ path: `${where}.${name}`, message: 'contains U+0000', code: 'nul_character' }] },
      },
    );
  }
}

/** Path parameters of a route without a schema: only the NUL check. */
export function refuseNulParams(ctx: Context): void {
  refuseNul('params', (ctx as unknown as { params?: Record<string, unknown> }).params ?? {});
}

/** Validates body, query and params against a route's schema; replaces them with parsed values. */
export function validateRequest(ctx: Context, schema: RouteSchema): void {
  refuseNul('params', (ctx as unknown as { params?: Record<string, unknown> }).params ?? {});
  if (schema.query) refuseNul('query', ctx.query);
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
