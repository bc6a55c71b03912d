import type Router from '@koa/router';
import type { Context } from 'koa';
import type { GatewayMiddleware } from '../kernel/types';

/** A route whose path has no parameters: found by exact method and path. */
export interface StaticRoute {
  pattern: string;
  chain: GatewayMiddleware;
}

/** Route chains are terminal (they never call `next`); the router's `next` is not theirs to call. */
const noNext = (): Promise<void> => Promise.resolve();

export function callStatic(route: StaticRoute, ctx: Context): unknown {
  return route.chain(ctx as never, noNext);
}

/**
 * The table of parameterless routes. @koa/router tests every route's regular expression and
 * composes a fresh chain on each request; with the ~100 routes a full plugin set registers, that
 * is a measurable share of a small request. The hot routes (/v1/chat/completions, /health/live)
 * have no parameters, so an exact `METHOD path` lookup answers them. A route enters the table only
 * when the router itself would run it first for that exact method and path (checked once, here),
 * so answers never change; everything else (parameters, trailing slashes, other letter case, ALL
 * routes, 404/405) still goes through the router. GET routes also answer HEAD, as in the router.
 */
export function staticRouteTable(
  router: Router,
  routes: { method: string; path: string; chain: GatewayMiddleware }[],
): Map<string, StaticRoute> {
  const table = new Map<string, StaticRoute>();
  for (const r of routes) {
    // A pattern with parameters would match itself literally in router.match below.
    if (r.method === 'ALL' || /[:*(?]/.test(r.path)) continue;
    for (const method of r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]) {
      const key = `${method} ${r.path}`;
      const first = router.match(r.path, method).pathAndMethod.find((layer) => layer.methods.length > 0);
      if (!first || !first.stack.includes(r.chain as never) || table.has(key)) continue;
      table.set(key, { pattern: r.path, chain: r.chain });
    }
  }
  return table;
}
