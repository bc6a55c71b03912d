import { Container } from 'inversify';
import type { Tracer } from '@opentelemetry/api';
import type { CoreConfig } from '../config/coreSchema';
import { noConfigOrigin, type ConfigOriginLookup } from '../config/origins';
import type { HealthRegistry } from '../health/HealthRegistry';
import type { Clock } from '../services/Clock';
import type { Logger } from '../services/createLogger';
import type { HttpClient } from '../services/createHttpClient';
import type { Database } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { asIdentifier, type ServiceToken } from './serviceTokens';
import type { Binder, PluginContext, PluginDefinition } from './types';

/** The core services every plugin context is cut from. */
export interface CoreServices {
  config: CoreConfig;
  logger: Logger;
  metrics: GatewayMetrics;
  tracer(name: string): Tracer;
  store: KeyValueStore;
  database: Database;
  queue: EventQueue;
  http: HttpClient;
  clock: Clock;
  health: HealthRegistry;
  root: Container;
}

export function pluginTablePrefix(name: string): string {
  return name.replace(/-/g, '_');
}

/** A plugin context as the kernel holds it: the binder for `register`, and the runtime's setter. */
export type KernelPluginContext = PluginContext & {
  binder: Binder;
  /** Hands what `start` resolved to to every later reader of `ctx.runtime`. */
  setRuntime(runtime: unknown): void;
};

/** The error of reading `ctx.runtime` before the plugin's `start` resolved. */
export function runtimeNotStarted(plugin: string): Error {
  return new Error(
    `plugin "${plugin}" read ctx.runtime before its start() resolved; read it when a request is handled (inside a hook's handle, a route handler or a health check), not while declaring hooks and routes or in register()`,
  );
}

/**
 * A plugin's view of the gateway: a child container and plugin-scoped logger, meter, tracer and store
 * (key prefix `<plugin>:`). Tokens a plugin `provides` are re-bound in the root container so plugins
 * that start after it can resolve them.
 */
export function createPluginContext(
  def: PluginDefinition,
  config: unknown,
  core: CoreServices,
  configOrigin: ConfigOriginLookup = noConfigOrigin,
): KernelPluginContext {
  const container = new Container({ parent: core.root });
  const prefix = pluginTablePrefix(def.name);
  const provided = new Set(def.provides ?? []);
  const exposeToRoot = (token: ServiceToken<unknown>) => {
    if (provided.has(token))
      core.root.bind(asIdentifier(token)).toDynamicValue(() => container.get(asIdentifier(token)));
  };
  const binder: Binder = {
    bindConstant(token, value) {
      container.bind(asIdentifier(token)).toConstantValue(value);
      exposeToRoot(token as ServiceToken<unknown>);
    },
    bindFactory(token, factory) {
      container.bind(asIdentifier(token)).toDynamicValue(factory).inSingletonScope();
      exposeToRoot(token as ServiceToken<unknown>);
    },
  };
  // A getter over two closure slots: one branch per read, where a side table keyed by context cost a
  // WeakMap lookup per request.
  let runtime: unknown;
  let started = false;
  return {
    name: def.name,
    version: def.version,
    config,
    coreConfig: core.config,
    configOrigin,
    logger: core.logger.child({ plugin: def.name }),
    meter: core.metrics.meterFor(def.name),
    tracer: core.tracer(`@aihub/plugin-${def.name}`),
    store: core.store.withPrefix(`${def.name}:`),
    sharedStore: core.store,
    database: core.database,
    table: (name: string) => core.database.tableName(prefix, name),
    queue: core.queue,
    http: core.http,
    clock: core.clock,
    health: core.health,
    container,
    get: <T>(token: ServiceToken<T>) => container.get(asIdentifier(token)) as T,
    tryGet: <T>(token: ServiceToken<T>) =>
      container.isBound(asIdentifier(token)) ? (container.get(asIdentifier(token)) as T) : undefined,
    binder,
    get runtime() {
      if (!started) throw runtimeNotStarted(def.name);
      return runtime;
    },
    setRuntime(value: unknown) {
      runtime = value;
      started = true;
    },
  };
}
