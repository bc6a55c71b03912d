import Router from '@koa/router';
import type { Tracer } from '@opentelemetry/api';
import type { CoreConfig } from '../config/coreSchema';
import { metricsRoute } from '../http/listeners';
import { buildOpenApi, renderOpenApiHtml } from '../http/openapi';
import { PAGE_CSP } from '../http/securityHeaders';
import type { Logger } from '../services/createLogger';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { buildRouteChain } from './buildRouteChain';
import type { CollectedRoute } from './collectPlugin';
import type { BoundHook } from './orderHooks';
import { PHASES, type Phase } from './phases';
import type { GatewayMiddleware } from './types';
import { DOWNGRADE_ORDER, type ApiVersions } from '../versioning/ApiVersions';
import { versionsRoute } from '../versioning/versionsRoute';

export interface BuiltRouter {
  router: Router;
  /** Every route's full chain (hooks + handler), for the static-route fast path. */
  chains: { method: string; path: string; chain: GatewayMiddleware }[];
}

/**
 * Boot step "routes": core's metrics and OpenAPI routes, then every route with its hook chain built
 * once (`buildRouteChain`), so a request runs a prebuilt array and decides nothing about hooks.
 * Needs every route, core's included, and the final hook order: it runs after all plugins started.
 */
export function buildRouter(
  routes: readonly CollectedRoute[],
  byPhase: Map<Phase, BoundHook[]>,
  opts: { config: CoreConfig; metrics: GatewayMetrics; tracer: Tracer; logger: Logger; versions?: ApiVersions },
): BuiltRouter {
  // API versions: the changelog route, and every /v1 and /admin/v1 handler behind its version step.
  if (opts.versions) {
    routes = [...routes, versionsRoute(opts.versions)];
    // Resolve last in request.authorize; downgrade in response.transform at its order (see
    // DOWNGRADE_ORDER). The map keeps phase order (chains are built in its iteration order).
    const withVersion = new Map<Phase, BoundHook[]>();
    for (const phase of PHASES) {
      const list = byPhase.get(phase);
      if (phase === 'request.authorize') withVersion.set(phase, [...(list ?? []), opts.versions.resolveHook()]);
      else if (phase === 'response.transform') {
        const all = [...(list ?? [])];
        const at = all.findIndex((b) => (b.hook.order ?? 0) > DOWNGRADE_ORDER);
        all.splice(at === -1 ? all.length : at, 0, opts.versions.downgradeHook());
        withVersion.set(phase, all);
      } else if (list) withVersion.set(phase, list);
    }
    byPhase = withVersion;
  }
  const cfg = opts.config;
  const router = new Router();
  const deps = {
    tracer: opts.tracer,
    logger: opts.logger,
    metrics: opts.metrics,
    defaultBodyLimit: cfg.server.bodyLimit,
    bodyTimeoutMs: cfg.server.bodyTimeoutMs,
  };
  const metricsCfg = cfg.telemetry.metrics;
  // With a port of its own, the metrics route lives only on that listener (see listenMetrics).
  if (metricsCfg.enabled && metricsCfg.port === undefined)
    router.get(metricsCfg.path, metricsRoute(opts.metrics, metricsCfg.bearerToken));
  if (routes.some((r) => r.info.path.startsWith('/admin/v1'))) {
    // Built at the first request for it, not at start: the document (every admin route's JSON
    // schemas) and its HTML page are read rarely, and an idle gateway would hold them for nothing
    // (issue 20, idle RSS).
    let built: { doc: Record<string, unknown>; html: string } | undefined;
    const openApi = () => {
      if (built) return built;
      const doc = buildOpenApi(routes.map((r) => r.info));
      return (built = { doc, html: renderOpenApiHtml(doc) });
    };
    router.get('/admin/v1/openapi.json', (ctx) => {
      ctx.body = openApi().doc;
    });
    router.get('/admin/v1/docs', (ctx) => {
      ctx.set('content-security-policy', PAGE_CSP);
      ctx.type = 'text/html';
      ctx.body = openApi().html;
    });
  }
  const chains: BuiltRouter['chains'] = [];
  // A catch-all (`/admin/*path`, the console) registered by a plugin that starts early must not
  // shadow the specific routes of plugins that start later (`/admin/v1/tenants/:tenantId/usage`):
  // the router runs the first match, so wildcard routes go last (stable otherwise).
  const wildcard = (p: string) => /\*|\(\.\*\)/.test(p);
  for (const r of [...routes.filter((x) => !wildcard(x.info.path)), ...routes.filter((x) => wildcard(x.info.path))]) {
    const { route, handler } = opts.versions
      ? opts.versions.wrap(r.info, r.handler)
      : { route: r.info, handler: r.handler };
    const chain = buildRouteChain(route, handler, byPhase, deps);
    const method = r.info.method === 'ALL' ? 'all' : (r.info.method.toLowerCase() as 'get');
    router[method](r.info.path, chain as never);
    chains.push({ method: r.info.method, path: r.info.path, chain });
  }
  return { router, chains };
}
