import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Container } from 'inversify';
import { HealthRegistry } from '../health/HealthRegistry';
import { createApp } from '../http/createApp';
import { answerClientErrors, connectionsPerIp, listen, listenMetrics, serverOptions } from '../http/listeners';
import { edgeHeaders } from '../http/securityHeaders';
import { staticRouteTable } from '../http/staticRoutes';
import { systemClock, type Clock } from '../services/Clock';
import { createHttpClient } from '../services/createHttpClient';
import { createLogger, type Logger } from '../services/createLogger';
import type { Database, MigrationSet } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import { createMetrics, type GatewayMetrics } from '../telemetry/createMetrics';
import { registerStoreMetrics } from '../telemetry/storeMetrics';
import { createTracing, type Tracing } from '../telemetry/createTracing';
import { applyHeapGrowth } from '../telemetry/heapGrowth';
import { startIdleTrim, type IdleTrim } from '../telemetry/idleTrim';
import { LiveMonitor } from '../telemetry/monitor/LiveMonitor';
import { monitorRoute } from '../telemetry/monitor/monitorRoute';
import { CORE_VERSION } from '../version';
import { buildRouter, type BuiltRouter } from './buildRouter';
import { buildApiVersions } from '../versioning/collect';
import type { CollectedRoute } from './collectPlugin';
import type { CoreServices } from './createPluginContext';
import { describePipeline } from './describePipeline';
import { runOnRoute, runReady, runShutdownHook } from './lifecycle';
import { migrateOnBoot, migrationSets } from './migrateOnBoot';
import { checkDatabase, checkStore, openDatabase, openQueue, openStore } from './openServices';
import { orderHooks, type BoundHook } from './orderHooks';
import type { Phase } from './phases';
import { pluginsRoute } from './pluginsRoute';
import { reloadConfig, reloadCounter, type ReloadReport } from '../config/reload';
import { reloadRoute } from '../config/reloadRoute';
import { prepare, type Prepared, type PrepareOptions } from './prepare';
import { startPlugins, type StartedPlugin } from './startPlugins';
import { asIdentifier } from './serviceTokens';
import { CoreTokens } from './coreServiceTokens';

export { pendingMigrationsProblem } from './migrateOnBoot';
export { redactUrl } from './openServices';

export interface KernelOptions extends PrepareOptions {
  logger?: Logger;
  clock?: Clock;
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
  /** Gives memory back while the process is idle (server.idleTrimIntervalMs). */
  private idleTrim?: IdleTrim;
  /** Every plugin's `ready` has run: only then does shutdown call `beforeClose`. */
  private isReady = false;
  /** Requests being served (counted by the app's outer middleware). */
  private get inFlight(): number {
    return this.metrics.inFlight.value;
  }
  private stopping?: Promise<void>;
  readonly root = new Container();
  private readonly clock: Clock;
  private readonly options: KernelOptions;
  /** The config last applied by a reload (`prepared` stays the one the process started with). */
  private running: Prepared;
  private reloading?: Promise<ReloadReport>;

  private constructor(prepared: Prepared, options: KernelOptions) {
    this.prepared = prepared;
    this.running = prepared;
    this.options = options;
    const cfg = prepared.config;
    this.logger =
      options.logger ??
      createLogger({
        level: cfg.logging.level,
        format: cfg.logging.format,
        defaultMeta: { service: cfg.telemetry.serviceName },
      });
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
    return migrationSets(prepared);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * A started plugin's runtime: what its `start` returned (its `ctx.runtime`). For tests and tools
   * (the testing kit's `gw.runtime(plugin)`); plugins read their own through `ctx.runtime`.
   */
  pluginRuntime(name: string): unknown {
    const started = this.started.find((s) => s.prepared.definition.name === name);
    if (!started)
      throw new Error(
        `plugin "${name}" has not started here (started: ${this.started.map((s) => s.prepared.definition.name).join(', ') || 'none'})`,
      );
    return started.ctx.runtime;
  }

  /** The metrics listener's port when `telemetry.metrics.port` is set (0 before start or without one). */
  get metricsPort(): number {
    return (this.metricsServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  /**
   * The boot steps after `prepare` (config, plugins, hook order and routes already checked), in an
   * order each step depends on. Every service is kept on the kernel as soon as it is open, so a
   * failure at any step lets `stop` close exactly what was opened.
   */
  private async boot(): Promise<void> {
    const cfg = this.prepared.config;
    // Before anything is allocated under load: bounds old space (and RSS) at saturation.
    applyHeapGrowth(cfg.server.heapGrowthPercent);
    // Telemetry first: every later step may log, count or trace.
    this.tracing = createTracing({
      serviceName: cfg.telemetry.serviceName,
      serviceVersion: CORE_VERSION,
      endpoint: cfg.telemetry.tracing.endpoint,
      protocol: cfg.telemetry.tracing.protocol,
      sampleRatio: cfg.telemetry.tracing.sampleRatio,
      headers: cfg.telemetry.tracing.headers,
    });
    // Core services: the database, then the store, then the queue (a Redis queue shares the store's connection).
    const database = (this.database = await openDatabase(cfg, this.logger));
    await checkDatabase(database, cfg);
    const store = (this.store = openStore(cfg));
    await checkStore(store, cfg);
    const queue = (this.queue = openQueue(cfg, database, store, this.logger));
    // The schema before any plugin: `start` reads and writes its tables.
    await migrateOnBoot(database, this.prepared, this.logger);
    // Core's checks, store metrics and DI bindings before the plugins, which resolve core tokens.
    this.registerCoreHealth(database, store, queue);
    registerStoreMetrics(this.metrics.registry, {
      dbPool: database.poolStats ? () => database.poolStats!() : undefined,
      kvPing: () => store.ping(),
      kvKind: store.redisClient() ? 'redis' : 'memory',
    });
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
    const { hooks, routes } = await startPlugins(this.prepared, core, this.health, this.logger, this.started);
    // Hook order, then core's own routes: they describe the started pipeline and read plugins' metrics.
    const { byPhase } = orderHooks(hooks, cfg.pipeline.order);
    routes.push(...(await this.coreRoutes(byPhase, store)));
    // Every route, core's included, is final: plugins observe them before the router is built.
    runOnRoute(this.started, routes, this.logger);
    // Start every hook's error counter at 0 so rate() sees the first error.
    for (const [phase, list] of byPhase)
      for (const b of list) this.metrics.hookErrors.inc({ plugin: b.plugin, phase }, 0);
    const versions = buildApiVersions(
      this.started.map((s) => s.prepared.definition),
      { now: () => this.clock.now(), ...cfg.versioning },
    );
    const { router, chains } = buildRouter(routes, byPhase, {
      config: cfg,
      metrics: this.metrics,
      tracer: this.tracing.tracer('@aihub/core'),
      logger: this.logger,
      versions,
    });
    await this.listen(router, chains);
    // Only once requests are accepted: `ready` is where plugins start background work.
    await runReady(this.started, this.logger);
    this.isReady = true;
    // Boot grew V8's young generation; it is given back once the loop has been idle an interval.
    if (cfg.server.idleTrimIntervalMs > 0) this.idleTrim = startIdleTrim({ intervalMs: cfg.server.idleTrimIntervalMs });
    this.logger.info(`AI Hub listening on http://${cfg.server.host}:${this.port}`, {
      plugins: this.started.map((s) => s.prepared.definition.name),
      database: database.dialect,
      store: store.kind,
      queue: queue.kind,
      tracing: this.tracing.enabled,
    });
  }

  /**
   * Reads the config file again (SIGHUP, `aihub config reload`, POST /admin/v1/config/reload) and
   * applies what can change live; see reloadConfig. One at a time: a second call while one runs
   * gets the same report.
   */
  reload(): Promise<ReloadReport> {
    this.reloading ??= reloadConfig({
      options: this.options,
      boot: this.prepared,
      running: this.running,
      plugins: this.started.map((s) => ({ definition: s.prepared.definition, ctx: s.ctx })),
      logger: this.logger,
    })
      .then(({ report, next }) => {
        if (next) this.running = next;
        reloadCounter(this.metrics.registry).inc({ outcome: report.outcome });
        return report;
      })
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Core's routes beside the plugins': the pipeline as it runs here, and the live monitor when on. */
  private async coreRoutes(byPhase: Map<Phase, BoundHook[]>, store: KeyValueStore): Promise<CollectedRoute[]> {
    const cfg = this.prepared.config;
    // The console's health & plugins screen.
    const pipelineJson = describePipeline({ ...this.prepared, pipeline: byPhase }).json as {
      plugins: unknown;
      pipeline: unknown;
    };
    const routes = [pluginsRoute(() => pipelineJson, CORE_VERSION), reloadRoute(() => this.reload())];
    const monitorCfg = cfg.telemetry.monitor;
    if (monitorCfg.enabled) {
      // Started after every plugin registered its metrics: the first reading is the baseline.
      this.monitor = new LiveMonitor({
        metrics: this.metrics,
        store,
        logger: this.logger,
        intervalMs: monitorCfg.intervalMs,
        windowSeconds: monitorCfg.windowSeconds,
        instanceId: monitorCfg.instanceId,
      });
      await this.monitor.start();
      routes.push(monitorRoute(this.monitor));
    }
    return routes;
  }

  /** Boot step "listen": the Koa app over the router, the HTTP server and, when configured, the metrics listener. */
  private async listen(router: BuiltRouter['router'], chains: BuiltRouter['chains']): Promise<void> {
    const cfg = this.prepared.config;
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
    this.server = http.createServer(serverOptions(cfg.server), app.callback());
    this.server.keepAliveTimeout = cfg.server.keepAliveTimeoutMs;
    if (cfg.server.maxConnections > 0) this.server.maxConnections = cfg.server.maxConnections;
    perIp?.attach(this.server);
    answerClientErrors(this.server);
    await listen(this.server, cfg.server.port, cfg.server.host);
    const metricsCfg = cfg.telemetry.metrics;
    if (metricsCfg.enabled && metricsCfg.port !== undefined) {
      this.metricsServer = await listenMetrics(this.metrics, metricsCfg);
      const address = this.metricsServer.address() as AddressInfo;
      this.logger.info(`metrics on http://${metricsCfg.host}:${address.port}${metricsCfg.path}`);
    }
  }

  private bindCore(): void {
    const bind = <T>(token: symbol, value: T) =>
      this.root.bind(asIdentifier(token as never)).toConstantValue(value as never);
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
    this.health.register('core', {
      name: 'database',
      check: async () => {
        await database.ping();
        return { dialect: database.dialect };
      },
    });
    if (store.kind === 'redis') this.health.register('core', { name: 'redis', check: () => store.ping() });
    this.health.register('core', {
      name: 'queue',
      check: async () => ({ kind: queue.kind, buffered: queue.buffered() }),
    });
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
    this.idleTrim?.stop();
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
      if (this.inFlight > 0)
        this.logger.warn('shutdown timeout: closing remaining connections', { in_flight: this.inFlight });
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
