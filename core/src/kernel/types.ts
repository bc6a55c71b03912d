import type { Container } from 'inversify';
import type { Context, Next } from 'koa';
import type { Registry } from 'prom-client';
import type { Tracer } from '@opentelemetry/api';
import type { z } from 'zod';
import type { CoreConfig } from '../config/coreSchema';
import type { ConfigPath, EnvOrigin } from '../config/origins';
import type { Clock } from '../services/Clock';
import type { Logger } from '../services/createLogger';
import type { HttpClient } from '../services/createHttpClient';
import type { Database, Migration } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import type { HealthRegistry } from '../health/HealthRegistry';
import type { Phase } from './phases';
import type { ServiceToken } from './serviceTokens';
import type { VersionChange } from '../versioning/types';

export const PLUGIN_API_VERSION = 'aihub.plugin/v1';

/** The Koa context a hook or route handler receives. */
export type GatewayContext = Context;
export type GatewayMiddleware = (ctx: GatewayContext, next: Next) => unknown;
/** Response-phase hooks get no `next`: they run after the handler, in order. */
export type ResponseHandler = (ctx: GatewayContext) => unknown;

/** What a route expects of the pipeline. Decided at boot, so hooks can be skipped with zero per-request cost. */
export interface RouteOptions {
  /**
   * `required`: auth hooks must authenticate the caller (401 otherwise); `optional`: authenticate when
   * credentials are sent; `none`: no authentication (health, metrics, OAuth endpoints).
   */
  auth?: 'required' | 'optional' | 'none';
  /** Scopes the caller must hold (checked by the auth plugin in `request.authorize`). */
  scopes?: string[];
  /** Body handling: parse JSON (default for POST/PUT/PATCH), keep raw bytes, or leave the stream alone. */
  body?: 'json' | 'raw' | 'none';
  /** Body size limit for this route in bytes (default: server.bodyLimit). */
  bodyLimit?: number;
  /** Run the plugin hooks for this route (default true). Health and metrics opt out. */
  pipeline?: boolean;
  /** Which error format the route answers with (default: `problem` under /admin, `openai` elsewhere). */
  errors?: 'openai' | 'problem';
  /** Free-form labels hooks can match on (e.g. `ai`, `admin`, `events`). */
  tags?: string[];
  /** Short summary for `aihub plugins list` and generated docs. */
  summary?: string;
  /**
   * zod schemas the kernel validates before the handler runs (400 `validation_failed` listing every
   * issue) and that the OpenAPI document at /admin/v1/openapi.json is generated from. The parsed
   * body replaces `ctx.request.body`; parsed query and params are read with `validated(ctx)`.
   */
  schema?: RouteSchema;
  /**
   * Response headers of this route that replace the kernel's security defaults (nosniff on every
   * answer; no-store, frame denial, no-referrer and a data-only Content-Security-Policy under /admin
   * and /oauth): a value sets the header, `null` removes it. For example a route serving a
   * browser app under /admin sets its own `content-security-policy`. A handler may also `ctx.set`
   * any of them itself.
   */
  headers?: Record<string, string | null>;
}

export interface RouteSchema {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Success response bodies by status, for the OpenAPI document. */
  responses?: Record<number, z.ZodType | null>;
  /** OpenAPI tag (defaults to the plugin name). */
  tag?: string;
  /** OpenAPI operationId. */
  operationId?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** A route as hooks see it when deciding whether they apply (`appliesTo`). */
export interface RouteInfo extends Required<Pick<RouteOptions, 'auth' | 'body' | 'pipeline'>> {
  method: HttpMethod | 'ALL';
  /** Full mounted path pattern (path-to-regexp syntax of @koa/router). */
  path: string;
  plugin: string;
  scopes: string[];
  tags: string[];
  errors: 'openai' | 'problem';
  bodyLimit?: number;
  summary?: string;
  schema?: RouteSchema;
  /** See RouteOptions.headers. */
  headers?: Record<string, string | null>;
}

export interface PluginRouter {
  get(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
  post(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
  put(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
  patch(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
  delete(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
  /** Every method (mount a sub-application such as an OAuth server). */
  all(path: string, handler: GatewayMiddleware, options?: RouteOptions): void;
}

interface HookBase {
  /** Unique within the plugin; shows in `aihub plugins list` and span names. Defaults to the phase. */
  name?: string;
  /** Lower runs first within the phase (default 0). */
  order?: number;
  /** Run before these plugins' hooks in the same phase (plugin names). */
  before?: string[];
  /** Run after these plugins' hooks in the same phase (plugin names). */
  after?: string[];
  /**
   * Decides at boot, per route, whether the hook runs for it. Default: every route whose `pipeline`
   * is on. Filtering here costs nothing per request, unlike checking the path inside `handle`.
   */
  appliesTo?: (route: RouteInfo) => boolean;
}

export interface RequestHook extends HookBase {
  phase: Exclude<Phase, 'response.transform' | 'response.meter' | 'response.log'>;
  /** Koa-style middleware: call `next()` to continue, or answer and return to short-circuit. */
  handle: GatewayMiddleware;
}

export interface ResponseHook extends HookBase {
  phase: 'response.transform' | 'response.meter' | 'response.log';
  /**
   * `response.transform` runs before the response is sent. `response.meter` and `response.log` run
   * once it has been sent or the client went away: they must only enqueue or count, never block.
   */
  handle: ResponseHandler;
}

export type HookDefinition = RequestHook | ResponseHook;

export interface HealthCheck {
  name: string;
  /** `readiness` checks gate /health/ready; `liveness` checks gate /health/live. Default readiness. */
  kind?: 'readiness' | 'liveness';
  /** Resolve when healthy (optionally with details); reject or throw when not. */
  check: () => Promise<void | Record<string, unknown>>;
  timeoutMs?: number;
}

/** Plugin-scoped metrics: names are prefixed `aihub_`, registered in the gateway's registry. */
export interface PluginMeter {
  readonly registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): import('prom-client').Counter<L>;
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    collect?: () => void | Promise<void>,
  ): import('prom-client').Gauge<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): import('prom-client').Histogram<L>;
}

/**
 * Everything a plugin gets at register/start/stop/routes time. All services are plugin-scoped.
 * `C` is the parsed config, `R` the plugin's runtime (what `start` returned).
 */
export interface PluginContext<C = unknown, R = unknown> {
  readonly name: string;
  readonly version: string;
  readonly config: C;
  readonly coreConfig: CoreConfig;
  /**
   * Which environment variables produced the value at `path` of this plugin's config (relative to it:
   * `providers.openai.apiKey`), and which of them were unset or empty: `apiKey: ${MY_KEY:-}` gives
   * `{ vars: ['MY_KEY'], empty: ['MY_KEY'] }` while MY_KEY is unset. Undefined for a value written as
   * is. Names only, never values, so a message can say which variable to set. After an applied config
   * reload it answers for the reloaded file.
   */
  configOrigin(path: ConfigPath): EnvOrigin | undefined;
  readonly logger: Logger;
  readonly meter: PluginMeter;
  readonly tracer: Tracer;
  /** The store with keys prefixed `<global prefix><plugin>:`. */
  readonly store: KeyValueStore;
  /** The unprefixed store, for state deliberately shared between plugins. */
  readonly sharedStore: KeyValueStore;
  readonly database: Database;
  /** `<plugin>_<name>` with `-` as `_`: the plugin's own table names. */
  table(name: string): string;
  readonly queue: EventQueue;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly health: HealthRegistry;
  /** The plugin's child container. */
  readonly container: Container;
  /** Resolves a service from the plugin's container (its own bindings, then core and provided ones). */
  get<T>(token: ServiceToken<T>): T;
  /** Like get, but undefined when nothing provides the token (for optionalDependsOn). */
  tryGet<T>(token: ServiceToken<T>): T | undefined;
  /**
   * What the plugin's `start` returned (resolved), typed by `definePlugin`: its stores, clients and
   * caches, read by hooks, route handlers, health checks, `onRoute`, `ready`, `beforeClose` and `stop`.
   * Hooks and routes are declared before `start` runs, so read it when a request is handled (inside
   * `handle`, a handler, a check), not while declaring them: before `start` resolved it throws an
   * error naming the plugin. It stays readable after `stop`. A property read, no lookup per request.
   */
  readonly runtime: R;
}

/** A config warning of a plugin (`configWarnings`): not a problem, validation still passes. */
export interface ConfigWarning {
  /** Relative to the plugin's config (`providers.openai.apiKey`); `''` for the config as a whole. */
  path: string;
  message: string;
}

export interface Binder {
  bindConstant<T>(token: ServiceToken<T>, value: T): void;
  bindFactory<T>(token: ServiceToken<T>, factory: () => T): void;
}

/**
 * What a plugin package exports as default. Build it with `definePlugin`. `S` is the config schema,
 * `R` the runtime `start` returns (`ctx.runtime` everywhere else).
 */
// `any` by default so a definition with any runtime fits a plugin list (`PluginDefinition[]`).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PluginDefinition<S extends z.ZodType = z.ZodType, R = any> {
  apiVersion: typeof PLUGIN_API_VERSION;
  /** kebab-case, unique. */
  name: string;
  version: string;
  /** semver range of @aihub/core this plugin works with. */
  core: string;
  description?: string;
  dependsOn?: string[];
  optionalDependsOn?: string[];
  /** Tokens this plugin binds that other plugins may consume. */
  provides?: ServiceToken<unknown>[];
  consumes?: ServiceToken<unknown>[];
  /** Config schema (zod). Unknown keys should be rejected: use `z.object({...}).strict()`. */
  config?: S;
  /** Where routes mount: default `/plugins/<name>`; `''` mounts at the root (e.g. `/v1/...`). */
  routePrefix?: string;
  register?: (bind: Binder, ctx: PluginContext<z.output<S>, R>) => void | Promise<void>;
  /**
   * Builds the runtime before hooks and routes are declared, for a plugin whose hooks and routes take
   * its objects as they are declared (no per-request read of `ctx.runtime`). Construct only: no
   * I/O, nothing started (that is `start`'s job); it also runs in dry runs (`config validate`,
   * `plugins list`), where the I/O services throw. Most plugins leave it out and return their
   * runtime from `start`.
   */
  runtime?: (ctx: PluginContext<z.output<S>>) => R;
  hooks?: HookDefinition[] | ((ctx: PluginContext<z.output<S>, R>) => HookDefinition[]);
  routes?: (router: PluginRouter, ctx: PluginContext<z.output<S>, R>) => void;
  /**
   * Builds what the plugin needs before the gateway serves: open pools, warm caches, subscribe to the
   * queue. Plugins start one after another in dependency order (`dependsOn`, `optionalDependsOn`); the
   * kernel awaits each before the next, and nothing listens until every plugin has started. A throw
   * fails startup (`AIHUB_E_PLUGIN_START`, naming the plugin) and stops the plugins already started.
   *
   * What it returns (or resolves to) is the plugin's runtime: `ctx.runtime` in every other callback,
   * typed. Returning nothing is fine for a plugin without state, or one that built its runtime in
   * `runtime` (which `ctx.runtime` then stays). Its `ctx` has no runtime yet (unless `runtime` built it).
   */
  // A method signature, so a plugin that built its runtime in `runtime` may type `ctx` as
  // `PluginContext<Config, Runtime>` here (TypeScript cannot infer it for `start`'s own context).
  start?(ctx: PluginContext<z.output<S>>): R | void | Promise<R | void>;
  /**
   * Sees every route as it is registered (Fastify's `onRoute`): each plugin's routes and core's, once
   * every plugin has started and before the router is built, so a plugin that starts early also sees
   * the routes of plugins that start after it. Called in start order, one route at a time, in
   * registration order. Read-only (the route is frozen); use it to index, document or check routes.
   * A throw fails startup like a failing `start`.
   */
  onRoute?: (route: Readonly<RouteInfo>, ctx: PluginContext<z.output<S>, R>) => void;
  /**
   * The gateway is up: every plugin has started and the server listens (requests are being accepted).
   * Start what must wait for that here, e.g. background jobs and timers, announcements to other
   * instances. Called in start order, each awaited; `Kernel.start()` (and `aihub start`) resolves
   * once all are done. A throw fails startup like a failing `start` (the gateway stops again, exit 78).
   */
  ready?: (ctx: PluginContext<z.output<S>, R>) => void | Promise<void>;
  /**
   * Shutdown has begun and the gateway is draining: readiness already answers 503 and requests are
   * still served for `server.shutdownDelayMs`. Stop taking new background work here (stop timers that
   * would start jobs, leave a cluster). Called in reverse start order, each bounded by
   * `server.pluginStopTimeoutMs`; a throw or timeout is logged with the plugin's name and shutdown
   * goes on. Only after a start that reached `ready` (never after a failed start).
   */
  beforeClose?: (ctx: PluginContext<z.output<S>, R>) => void | Promise<void>;
  /**
   * Releases what `start` built, after the server has closed and in-flight requests finished. Called
   * in reverse start order, each bounded by `server.pluginStopTimeoutMs`; a throw or timeout is
   * logged with the plugin's name and the other plugins still stop. Also called when startup fails
   * after this plugin started.
   */
  stop?: (ctx: PluginContext<z.output<S>, R>) => void | Promise<void>;
  /**
   * Top-level keys of this plugin's config that `reload` can apply while running (e.g. `models`).
   * A changed key outside the list is reported as needing a restart.
   */
  reloadable?: string[];
  /**
   * Applies a changed config without a restart (SIGHUP, `aihub config reload`, POST
   * /admin/v1/config/reload). `next` is the whole new config, validated as at start; `changed` the
   * paths under `reloadable` that differ from the running one (`models.gpt-4o.deployments[0]`).
   * Throw to refuse it (the plugin keeps its running config; an error with `problems` reports each
   * with its path); `ctx.config` stays the config the plugin started with.
   */
  reload?: (ctx: PluginContext<z.output<S>, R>, next: z.output<S>, changed: string[]) => void | Promise<void>;
  health?: HealthCheck[] | ((ctx: PluginContext<z.output<S>, R>) => HealthCheck[]);
  /**
   * What is legal but will not work as the operator likely meant (a provider without its key): each a
   * path relative to the plugin's config and a sentence. `aihub config validate` prints them and still
   * exits 0. Runs in the dry context (no I/O, `ctx.runtime` only from `runtime()`); a plugin logs its
   * own warnings at start, where it may know more (e.g. state stored through the admin API).
   */
  configWarnings?: (ctx: PluginContext<z.output<S>>) => ConfigWarning[];
  migrations?: Migration[];
  /**
   * Changes this plugin made to its `/v1` or `/admin/v1` routes, each at an API version of the
   * catalog: callers pinned to an older version are served through them (see docs/plugins.md,
   * "API versions").
   */
  versionChanges?: VersionChange[];
}
