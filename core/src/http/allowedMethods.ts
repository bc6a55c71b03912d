import type { Context, Next } from 'koa';
import { CoreErrors } from '../errors/coreErrors';

interface MatchedLayer {
  methods: string[];
}

/**
 * Answers what the router left unanswered on a path it knows: `OPTIONS` gets 204 with `Allow`, any
 * other method (TRACE, PROPFIND, PURGE, … whatever Node's parser accepts) a 405 GatewayError with
 * `Allow`, rendered in the path's error format by the outer middleware. Replaces the router's own
 * allowedMethods, whose 501 for methods it does not implement was an unexpected error (500, logged
 * with a stack and counted as a server failure). Paths no route matches stay 404 (route_not_found).
 *
 * Mounted after the router, so only requests no route took reach it: synchronous, no cost on the
 * requests routes serve.
 */
export function allowedMethods() {
  return function allowedMethodsGuard(ctx: Context, _next: Next): void {
    const matched = (ctx as Context & { matched?: MatchedLayer[] }).matched;
    if (!matched?.length) return;
    const allowed = new Set<string>();
    for (const layer of matched) for (const m of layer.methods) allowed.add(m.toUpperCase());
    if (allowed.size === 0 || allowed.has(ctx.method)) return;
    allowed.add('OPTIONS');
    const allow = [...allowed].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    throw CoreErrors.create('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; use ${allow}.`, {
      headers: { allow },
    });
  };
}
