import type { CoreConfig } from '../config/coreSchema';
import { ProblemCode, type Problem } from '../config/problems';
import type { BoundHook } from './orderHooks';
import type {
  GatewayMiddleware,
  HealthCheck,
  HookDefinition,
  HttpMethod,
  PluginContext,
  PluginDefinition,
  PluginRouter,
  RouteInfo,
  RouteOptions,
} from './types';

export interface CollectedRoute {
  info: RouteInfo;
  handler: GatewayMiddleware;
}

export function routePrefixOf(def: PluginDefinition): string {
  return def.routePrefix ?? `/plugins/${def.name}`;
}

export function collectHooks(def: PluginDefinition, ctx: PluginContext): BoundHook[] {
  const hooks: HookDefinition[] = typeof def.hooks === 'function' ? def.hooks(ctx) : (def.hooks ?? []);
  return hooks.map((hook) => ({ plugin: def.name, id: `${def.name}:${hook.name ?? hook.phase}`, hook }));
}

export function collectHealth(def: PluginDefinition, ctx: PluginContext): HealthCheck[] {
  return typeof def.health === 'function' ? def.health(ctx) : (def.health ?? []);
}

/** Runs a plugin's `routes()` against a recording router. */
export function collectRoutes(def: PluginDefinition, ctx: PluginContext): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  const prefix = routePrefixOf(def);
  const add =
    (method: HttpMethod | 'ALL') =>
    (path: string, handler: GatewayMiddleware, options: RouteOptions = {}) => {
      const full = `${prefix}${path}`;
      const writes = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'ALL';
      routes.push({
        handler,
        info: {
          method,
          path: full,
          plugin: def.name,
          auth: options.auth ?? 'required',
          body: options.body ?? (writes && method !== 'ALL' ? 'json' : 'none'),
          pipeline: options.pipeline ?? true,
          scopes: options.scopes ?? [],
          tags: options.tags ?? [],
          errors: options.errors ?? (full.startsWith('/admin') ? 'problem' : 'openai'),
          bodyLimit: options.bodyLimit,
          summary: options.summary,
          schema: options.schema,
          ...(options.headers ? { headers: options.headers } : {}),
        },
      });
    };
  const router: PluginRouter = {
    get: add('GET'),
    post: add('POST'),
    put: add('PUT'),
    patch: add('PATCH'),
    delete: add('DELETE'),
    all: add('ALL'),
  };
  def.routes?.(router, ctx);
  return routes;
}

export function routeConflicts(
  routes: CollectedRoute[],
  reserved: { method: string; path: string; owner: string }[],
): Problem[] {
  const seen = new Map<string, string>(reserved.map((r) => [`${r.method} ${r.path}`, r.owner]));
  const problems: Problem[] = [];
  for (const r of routes) {
    const key = `${r.info.method} ${r.info.path}`;
    const owner = seen.get(key);
    if (owner) {
      problems.push({
        code: ProblemCode.ROUTE_CONFLICT,
        path: 'plugins',
        message: `${key} is declared by both "${owner}" and "${r.info.plugin}"; remove one of the plugins or change a routePrefix`,
      });
    } else seen.set(key, r.info.plugin);
  }
  return problems;
}

/** Core-owned routes plugins may not take. */
export function coreRoutes(config: CoreConfig): { method: string; path: string; owner: string }[] {
  const reserved = [
    { method: 'GET', path: '/admin/v1/openapi.json', owner: 'core' },
    { method: 'GET', path: '/admin/v1/docs', owner: 'core' },
    { method: 'GET', path: '/admin/v1/plugins', owner: 'core' },
  ];
  if (config.telemetry.metrics.enabled)
    reserved.push({ method: 'GET', path: config.telemetry.metrics.path, owner: 'core' });
  return reserved;
}
