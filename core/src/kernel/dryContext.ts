import { Container } from 'inversify';
import { trace } from '@opentelemetry/api';
import type { CoreConfig } from '../config/coreSchema';
import { noConfigOrigin, type ConfigOriginLookup } from '../config/origins';
import { createLogger } from '../services/createLogger';
import { createMetrics } from '../telemetry/createMetrics';
import { runtimeNotStarted } from './createPluginContext';
import type { PluginContext, PluginDefinition } from './types';

/**
 * A context for reading a plugin's hooks and routes without starting anything (`config validate`,
 * `plugins list`). Config is real, logger and meter are throwaway; touching an I/O service throws, because hook and route factories must
 * only build closures, not do I/O.
 */
export function dryContext(
  def: PluginDefinition,
  config: unknown,
  coreConfig: CoreConfig,
  configOrigin: ConfigOriginLookup = noConfigOrigin,
): PluginContext {
  const unavailable = (what: string) =>
    new Proxy(
      {},
      {
        get() {
          throw new Error(
            `plugin "${def.name}" used ${what} while its hooks or routes were being declared; move I/O into start()`,
          );
        },
      },
    );
  let runtime: unknown;
  let built = false;
  const ctx: PluginContext = {
    name: def.name,
    version: def.version,
    config,
    coreConfig,
    configOrigin,
    logger: createLogger({ level: 'error', format: 'json', silent: true }),
    meter: createMetrics({ processMetrics: false }).meterFor(def.name),
    tracer: trace.getTracer('dry'),
    store: unavailable('store') as PluginContext['store'],
    sharedStore: unavailable('sharedStore') as PluginContext['sharedStore'],
    database: unavailable('database') as PluginContext['database'],
    table: (name) => `${def.name.replace(/-/g, '_')}_${name}`,
    queue: unavailable('queue') as PluginContext['queue'],
    http: unavailable('http') as PluginContext['http'],
    clock: unavailable('clock') as PluginContext['clock'],
    health: unavailable('health') as PluginContext['health'],
    container: new Container(),
    get: () => {
      throw new Error(`plugin "${def.name}" resolved a service while declaring hooks or routes; resolve it in start()`);
    },
    tryGet: () => undefined,
    // Nothing starts in a dry run: only a runtime built by `runtime()` is there, as at boot.
    get runtime(): unknown {
      if (!built) throw runtimeNotStarted(def.name);
      return runtime;
    },
  };
  if (def.runtime) {
    runtime = def.runtime(ctx);
    built = true;
  }
  return ctx;
}
