import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { Container } from 'inversify';
import { resolveDatabaseUrl } from '../config/loadConfig';
import { ProblemCode, StartupError } from '../config/problems';
import { HealthRegistry } from '../health/HealthRegistry';
import { createApp } from '../http/createApp';
import { answerClientErrors, connectionsPerIp, listen, listenMetrics, metricsRoute, serverOptions } from '../http/listeners';
import { edgeHeaders, PAGE_CSP } from '../http/securityHeaders';
import { staticRouteTable } from '../http/staticRoutes';
import { buildOpenApi, renderOpenApiHtml } from '../http/openapi';
import { systemClock, type Clock } from '../services/Clock';
import { createHttpClient } from '../services/createHttpClient';
import { createLogger, type Logger } from '../services/createLogger';
import type { Database, MigrationSet } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import { coreQueueMigrations, createDatabase, createEventQueue, createKeyValueStore } from '../services/storage';
import { createMetrics, type GatewayMetrics } from '../telemetry/createMetrics';
import { registerStoreMetrics } from '../telemetry/storeMetrics';
import { createTracing, type Tracing } from '../telemetry/createTracing';
import { LiveMonitor } from '../telemetry/monitor/LiveMonitor';
import { monitorRoute } from '../telemetry/monitor/monitorRoute';
import { CORE_VERSION } from '../version';
import { buildRouteChain } from './buildRouteChain';
import { collectHealth, collectHooks, collectRoutes, type CollectedRoute } from './collectPlugin';
import { describePipeline } from './describePipeline';
import { runOnRoute, runReady, runShutdownHook } from './lifecycle';
import { pluginsRoute } from './pluginsRoute';
import { createPluginContext, pluginTablePrefix, type CoreServices } from './createPluginContext';
import { orderHooks, type BoundHook } from './orderHooks';
import { prepare, type Prepared, type PrepareOptions } from './prepare';
import { asIdentifier } from './tokens';
import { CoreTokens } from './coreTokens';
import type { GatewayMiddleware, PluginContext } from './types';

export interface KernelOptions extends PrepareOptions {
  logger?: Logger;
  clock?: Clock;
}

interface StartedPlugin {
  prepared: Prepared['plugins'][number];
  ctx: PluginContext;
}

/**
 * The AI Hub kernel: prepares (config + plugins), creates core services and one child container per
 * plugin, starts plugins in dependency order, serves HTTP, and stops everything in reverse on
 * shutdown. `Kernel.start()` fails before anything listens if any step fails.
 */
export class Kernel {
  readonly prepared: Prepared;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly health = new HealthRegistry();
  private tracing!: Tracing;
  private database?: Database;
  private store?: KeyValueStore;
  private queue?: EventQueue;
  private httpClient = createHttpClient();
  private server?: http.Server;
  private metricsServer?: http.Server;
  private started: StartedPlugin[] = [];
  private draining = false;
  /** This instance's live signals for the monitoring wall (telemetry.monitor). */
  private monitor?: LiveMonitor;
  /** Every plugin's `ready` has run: only then does shutdown call `beforeClose`. */
  private isReady = false;
  /** Requests being served (counted by the app's outer middleware). */
  private get inFlight(): number {
    return this.metrics.inFlight.value;
  }
  private stopping?: Promise<void>;
  readonly root = new Container();
  private readonly clock: Clock;

  private constructor(prepared: Prepared, options: KernelOptions) {
    this.prepared = prepared;
    const cfg = prepared.config;
    this.logger = options.logger ?? createLogger({ level: cfg.logging.level, format: cfg.logging.format, defaultMeta: { service: cfg.telemetry.serviceName } });
    this.metrics = createMetrics({ processMetrics: cfg.telemetry.metrics.processMetrics });
    this.clock = options.clock ?? systemClock;
  }

  /** Prepares, starts every plugin and listens. Throws StartupError (exit 78) for config problems. */
  static async start(options: KernelOptions = {}): Promise<Kernel> {
    const prepared = await prepare(options);
    const kernel = new Kernel(prepared, options);
    try {
      await kernel.boot();
    } catch (err) {
      await kernel.stop('startup failed').catch(() => {});
      throw err;
    }
    return kernel;
  }

  /** Migration sets of core and every configured plugin, in start order. */
  static migrationSets(prepared: Prepared): MigrationSet[] {
    const sets: MigrationSet[] = [coreQueueMigrations];
    for (const p of prepared.plugins) {
      if (p.definition.migrations?.length) {
        sets.push({ owner: p.definition.name, tablePrefix: pluginTablePrefix(p.definition.name), migrations: p.definition.migrations });
      }
    }
    return sets;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The metrics listener's port when `telemetry.metrics.port` is set (0 before start or without one). */
  get metricsPort(): number {
    return (this.metricsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  private async boot(): Promise<void> {
    const cfg = this.prepared.config;
    this.tracing = createTracing({
      serviceName: cfg.telemetry.serviceName,
      serviceVersion: CORE_VERSION,
      endpoint: cfg.telemetry.tracing.endpoint,
      protocol: cfg.telemetry.tracing.protocol,
      sampleRatio: cfg.telemetry.tracing.sampleRatio,
      headers: cfg.telemetry.tracing.headers,
    });
    const dbUrl = resolveDatabaseUrl(cfg);
    let database: Database;
    try {
      database = await createDatabase({ url: dbUrl, pool: { max: cfg.database.poolMax }, logging: cfg.database.logSql ? (sql: string) => this.logger.debug(sql) : undefined });
      this.database = database;
      await database.ping();
    } catch (err) {
      throw new StartupError([{ code: ProblemCode.SERVICE_UNAVAILABLE, path: 'database.url', message: `cannot connect to the database (${redactUrl(dbUrl)}): ${(err as Error).message}` }]);
    }
    const store = createKeyValueStore({ url: cfg.redis.url, prefix: cfg.redis.keyPrefix });
    this.store = store;
    if (cfg.redis.url) {
      try {
        await store.ping();
      } catch (err) {
        throw new StartupError([{ code: ProblemCode.SERVICE_UNAVAILABLE, path: 'redis.url', message: `cannot connect to Redis (${redactUrl(cfg.redis.url)}): ${(err as Error).message}` }]);
      }
    }
    // Background queue failures (a flush while Redis or the database is away) are retried by the
    // queue; log them at most once per 10 s so an outage does not flood the log.
    let lastQueueLog = 0;
    const queueError = (err: unknown) => {
      const now = Date.now();
      if (now - lastQueueLog < 10_000) return;
      lastQueueLog = now;
      this.logger.warn('event queue background error (will retry)', { err });
    };
    const useRedisQueue = cfg.queue.driver === 'redis' || (cfg.queue.driver === 'auto' && !!cfg.redis.url);
    const queue = createEventQueue(
      useRedisQueue
        ? { redis: store.redisClient() ?? cfg.redis.url!, prefix: cfg.redis.keyPrefix, flushIntervalMs: cfg.queue.flushIntervalMs, onError: queueError }
        : { database, flushIntervalMs: cfg.queue.flushIntervalMs, onError: queueError },
    );
    this.queue = queue;
    if (cfg.database.migrate === 'auto') {
      const applied = await database.migrateUp(Kernel.migrationSets(this.prepared));
      if (applied.length) this.logger.info('applied migrations', { migrations: applied });
    } else {
      // Without this check the first plugin to touch a missing table fails with "relation … does not
      // exist", which reads like a bug rather than a step the operator has not run yet.
      const pending = (await database.migrationStatus(Kernel.migrationSets(this.prepared))).filter((m) => !m.applied);
      if (pending.length) throw new StartupError([pendingMigrationsProblem(pending.map((m) => `${m.owner}:${m.name}`), this.prepared.file)]);
    }
    this.registerCoreHealth(database, store, queue);
    registerStoreMetrics(this.metrics.registry, { dbPool: database.poolStats ? () => database.poolStats!() : undefined, kvPing: () => store.ping(), kvKind: store.redisClient() ? 'redis' : 'memory' });
    this.bindCore();

    const core: CoreServices = {
      config: cfg,
      logger: this.logger,
      metrics: this.metrics,
      tracer: (name) => this.tracing.tracer(name),
      store,
      database,
      queue,
      http: this.httpClient,
      clock: this.clock,
      health: this.health,
      root: this.root,
    };
    const hooks: BoundHook[] = [];
    const routes: CollectedRoute[] = [];
    for (const p of this.prepared.plugins) {
      const def = p.definition;
      const ctx = createPluginContext(def, p.config, core);
      try {
        await def.register?.(ctx.binder, ctx);
        hooks.push(...collectHooks(def, ctx));
        routes.push(...collectRoutes(def, ctx));
        for (const check of collectHealth(def, ctx)) this.health.register(def.name, check);
        await def.start?.(ctx);
      } catch (err) {
        if (err instanceof StartupError) throw err;
        this.logger.error(`plugin ${def.name} failed to start`, { err, plugin: def.name });
        throw new StartupError([{ code: ProblemCode.PLUGIN_START, path: `plugins[${p.index}]`, message: `plugin "${def.name}" failed to start: ${(err as Error).message}` }]);
      }
      this.started.push({ prepared: p, ctx });
      this.logger.debug(`plugin ${def.name} started`, { plugin: def.name, version: def.version });
    }

    const { byPhase } = orderHooks(hooks, cfg.pipeline.order);
    // Core's own admin route (the console's health & plugins screen): the pipeline as it runs here.
    const pipelineJson = describePipeline({ ...this.prepared, pipeline: byPhase }).json as { plugins: unknown; pipeline: unknown };
    routes.push(pluginsRoute(() => pipelineJson, CORE_VERSION));
    const monitorCfg = cfg.telemetry.monitor;
    if (monitorCfg.enabled) {
      // Started after every plugin registered its metrics: the first reading is the baseline.
      this.monitor = new LiveMonitor({ metrics: this.metrics, store, logger: this.logger, intervalMs: monitorCfg.intervalMs, windowSeconds: monitorCfg.windowSeconds, instanceId: monitorCfg.instanceId });
      await this.monitor.start();
      routes.push(monitorRoute(this.monitor));
    }
    runOnRoute(this.started, routes, this.logger);
    // Start every hook's error counter at 0 so rate() sees the first error.
    for (const [phase, list] of byPhase) for (const b of list) this.metrics.hookErrors.inc({ plugin: b.plugin, phase }, 0);
    const router = new Router();
    const deps = {
      tracer: this.tracing.tracer('@aihub/core'),
      logger: this.logger,
      metrics: this.metrics,
      defaultBodyLimit: cfg.server.bodyLimit,
      bodyTimeoutMs: cfg.server.bodyTimeoutMs,
    };
    const metricsCfg = cfg.telemetry.metrics;
    // With a port of its own, the metrics route lives only on that listener (see listenMetrics).
    if (metricsCfg.enabled && metricsCfg.port === undefined) router.get(metricsCfg.path, metricsRoute(this.metrics, metricsCfg.bearerToken));
    if (routes.some((r) => r.info.path.startsWith('/admin/v1'))) {
      const doc = buildOpenApi(routes.map((r) => r.info));
      const html = renderOpenApiHtml(doc);
      router.get('/admin/v1/openapi.json', (ctx) => {
        ctx.body = doc;
      });
      router.get('/admin/v1/docs', (ctx) => {
        ctx.set('content-security-policy', PAGE_CSP);
        ctx.type = 'text/html';
        ctx.body = html;
      });
    }
    const chains: { method: string; path: string; chain: GatewayMiddleware }[] = [];
    // A catch-all (`/admin/*path`, the console) registered by a plugin that starts early must not
    // shadow the specific routes of plugins that start later (`/admin/v1/tenants/:tenantId/usage`):
    // the router runs the first match, so wildcard routes go last (stable otherwise).
    const wildcard = (p: string) => /\*|\(\.\*\)/.test(p);
    for (const r of [...routes.filter((x) => !wildcard(x.info.path)), ...routes.filter((x) => wildcard(x.info.path))]) {
      const chain = buildRouteChain(r.info, r.handler, byPhase, deps);
      const method = r.info.method === 'ALL' ? 'all' : (r.info.method.toLowerCase() as 'get');
      router[method](r.info.path, chain as never);
      chains.push({ method: r.info.method, path: r.info.path, chain });
    }
    const perIp = cfg.server.maxConnectionsPerIp > 0 ? connectionsPerIp(cfg.server.maxConnectionsPerIp) : undefined;
    const app = createApp(router, {
      logger: this.logger,
      metrics: this.metrics,
      tracer: this.tracing.tracer('@aihub/core'),
      tracingEnabled: this.tracing.enabled,
      sampleRatio: this.tracing.sampleRatio,
      tenantLabels: cfg.telemetry.metrics.tenantLabels,
      trustProxy: cfg.server.trustProxy,
      isDraining: () => this.draining,
      staticRoutes: staticRouteTable(router, chains),
      edge: edgeHeaders(cfg.server),
      overConnectionLimit: perIp?.over,
      accessLog: cfg.logging.access,
    });
    const callback = app.callback();
    this.server = http.createServer(serverOptions(cfg.server), callback);
    this.server.keepAliveTimeout = cfg.server.keepAliveTimeoutMs;
    if (cfg.server.maxConnections > 0) this.server.maxConnections = cfg.server.maxConnections;
    perIp?.attach(this.server);
    answerClientErrors(this.server);
    await listen(this.server, cfg.server.port, cfg.server.host);
    if (metricsCfg.enabled && metricsCfg.port !== undefined) {
      this.metricsServer = await listenMetrics(this.metrics, metricsCfg);
      const address = this.metricsServer.address() as AddressInfo;
      this.logger.info(`metrics on http://${metricsCfg.host}:${address.port}${metricsCfg.path}`);
    }
    await runReady(this.started, this.logger);
    this.isReady = true;
    this.logger.info(`AI Hub listening on http://${cfg.server.host}:${this.port}`, {
      plugins: this.started.map((s) => s.prepared.definition.name),
      database: database.dialect,
      store: store.kind,
      queue: queue.kind,
      tracing: this.tracing.enabled,
    });
  }

  private bindCore(): void {
    const bind = <T>(token: symbol, value: T) => this.root.bind(asIdentifier(token as never)).toConstantValue(value as never);
    bind(CoreTokens.Config, this.prepared.config);
    bind(CoreTokens.Logger, this.logger);
    bind(CoreTokens.Database, this.database);
    bind(CoreTokens.KeyValueStore, this.store);
    bind(CoreTokens.EventQueue, this.queue);
    bind(CoreTokens.HttpClient, this.httpClient);
    bind(CoreTokens.Clock, this.clock);
    bind(CoreTokens.Health, this.health);
    bind(CoreTokens.Metrics, this.metrics);
  }

  private registerCoreHealth(database: Database, store: KeyValueStore, queue: EventQueue): void {
    this.health.register('core', { name: 'database', check: async () => { await database.ping(); return { dialect: database.dialect }; } });
    if (store.kind === 'redis') this.health.register('core', { name: 'redis', check: () => store.ping() });
    this.health.register('core', { name: 'queue', check: async () => ({ kind: queue.kind, buffered: queue.buffered() }) });
    this.health.register('core', { name: 'event-loop', kind: 'liveness', check: async () => {} });
  }

  /** True while shutting down (readiness answers 503 so load balancers stop sending traffic). */
  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Graceful stop: readiness turns 503 and plugins' `beforeClose` run (reverse start order), requests
   * are still served for shutdownDelayMs, then stop accepting, let in-flight requests finish (bounded by
   * shutdownTimeoutMs), stop plugins in reverse start order with a timeout each, flush the queue and
   * telemetry, close services.
   */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    const cfg = this.prepared.config;
    this.draining = true;
    this.health.setDraining();
    this.logger.info('shutting down', { reason, in_flight: this.inFlight });
    if (this.isReady) await runShutdownHook('beforeClose', this.started, cfg.server.pluginStopTimeoutMs, this.logger);
    // Keep serving (readiness already answers 503) so load balancers see the instance leave through
    // their health checks before connections start being refused. Not after a failed start: no one
    // was ever sent here.
    const delay = reason === 'startup failed' || reason === 'uncaughtException' ? 0 : cfg.server.shutdownDelayMs;
    if (this.server && delay > 0) {
      this.logger.info('draining: readiness reports 503; still accepting requests', { delay_ms: delay });
      await sleep(delay);
    }
    if (this.server) {
      const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
      this.server.closeIdleConnections();
      const deadline = Date.now() + cfg.server.shutdownTimeoutMs;
      while (this.inFlight > 0 && Date.now() < deadline) {
        await sleep(25);
        this.server.closeIdleConnections();
      }
      if (this.inFlight > 0) this.logger.warn('shutdown timeout: closing remaining connections', { in_flight: this.inFlight });
      this.server.closeAllConnections();
      await closed;
    }
    if (this.metricsServer) {
      const closed = new Promise<void>((resolve) => this.metricsServer!.close(() => resolve()));
      this.metricsServer.closeAllConnections();
      await closed;
    }
    await runShutdownHook('stop', this.started, cfg.server.pluginStopTimeoutMs, this.logger);
    this.started = [];
    await this.monitor?.stop().catch(() => {});
    await this.queue?.flush().catch((err) => this.logger.error('could not flush the event queue', { err }));
    await this.queue?.close().catch(() => {});
    await this.store?.close().catch(() => {});
    await this.database?.close().catch(() => {});
    await this.httpClient.close().catch(() => {});
    await this.tracing?.shutdown().catch(() => {});
    this.logger.info('stopped', { reason });
  }
}

/** The problem of a start with `database.migrate: manual` and migrations not yet applied. */
export function pendingMigrationsProblem(pending: string[], file?: string): { code: typeof ProblemCode.MIGRATIONS_PENDING; path: string; message: string } {
  const shown = pending.length > 5 ? `${pending.slice(0, 5).join(', ')}, … (${pending.length - 5} more)` : pending.join(', ');
  const config = file ? ` --config ${file}` : '';
  return {
    code: ProblemCode.MIGRATIONS_PENDING,
    path: 'database.migrate',
    message: `${pending.length} database migration${pending.length === 1 ? ' is' : 's are'} pending (${shown}); run \`npx aihub migrate up${config}\` (from a checkout: npm run aihub -- migrate up${config}), or set database.migrate: auto`,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hides passwords in connection URLs before they reach a log or an error. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
