import { Kernel } from '../kernel/Kernel';
import type { PluginDefinition } from '../kernel/types';
import type { Clock } from '../services/Clock';
import { createLogger } from '../services/createLogger';

export interface TestGatewayOptions {
  /** Plugin definitions to load (inline, no package needed), in addition to `config.plugins`. */
  plugins?: PluginDefinition[];
  /** Per-plugin config by plugin name. */
  pluginConfig?: Record<string, unknown>;
  /** Core config (server, database, redis, telemetry, …); `plugins` entries are merged with `plugins` above. */
  config?: Record<string, unknown>;
  /** The gateway's clock (default: the system clock), for tests that move time (API version sunsets). */
  clock?: Clock;
  /** Show gateway logs (default: silent unless AIHUB_TEST_LOGS=1). */
  logs?: boolean;
}

export interface TestGateway {
  kernel: Kernel;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** fetch against the gateway: `gw.fetch('/v1/models', { headers })` */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /**
   * A started plugin's runtime (what its `start` returned, its `ctx.runtime`), to reach its stores
   * from a test: `gw.runtime(myPlugin).store`. Typed when given the definition; by name it is `unknown`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any config schema
  runtime<R>(plugin: PluginDefinition<any, R>): R;
  runtime(plugin: string): unknown;
  stop(): Promise<void>;
}

/**
 * Starts a real gateway on 127.0.0.1 on a free port with the given plugins, an in-memory SQLite
 * database unless one is configured, and no tracing export. For plugin authors' tests:
 *
 * ```ts
 * const gw = await startTestGateway({ plugins: [myPlugin], pluginConfig: { 'my-plugin': { max: 10 } } });
 * const res = await gw.fetch('/plugins/my-plugin/hello');
 * await gw.stop();
 * ```
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = { ...(options.config ?? {}) } as Record<string, unknown>;
  const entries = [...((config.plugins as { name: string; config?: unknown }[]) ?? [])];
  for (const def of options.plugins ?? []) {
    if (!entries.some((e) => e.name === def.name)) entries.push({ name: def.name });
  }
  for (const e of entries) {
    if (options.pluginConfig?.[e.name] !== undefined) e.config = options.pluginConfig[e.name];
  }
  const server = {
    host: '127.0.0.1',
    port: 0,
    shutdownTimeoutMs: 2000,
    idleTrimIntervalMs: 0,
    ...((config.server as object) ?? {}),
  };
  const database = { url: 'sqlite::memory:', ...((config.database as object) ?? {}) };
  const telemetry = {
    ...((config.telemetry as object) ?? {}),
    metrics: { processMetrics: false, ...((config.telemetry as { metrics?: object })?.metrics ?? {}) },
  };
  const logs = options.logs ?? process.env.AIHUB_TEST_LOGS === '1';
  const kernel = await Kernel.start({
    inline: { ...config, server, database, telemetry, plugins: entries },
    definitions: options.plugins,
    env: {},
    clock: options.clock,
    logger: createLogger({ level: logs ? 'debug' : 'error', format: 'json', silent: !logs }),
  });
  const url = kernel.url;
  return {
    kernel,
    url,
    fetch: async (path, init) => inThisRealm(await fetch(`${url}${path}`, init)),
    runtime: ((plugin: string | PluginDefinition) =>
      kernel.pluginRuntime(typeof plugin === 'string' ? plugin : plugin.name)) as TestGateway['runtime'],
    stop: () => kernel.stop('test'),
  };
}

/**
 * Makes `res.json()` build its objects in the realm of the test that called. Under Jest each test
 * file runs in its own VM context while `fetch` comes from the outer one: the objects its `json()`
 * returns have another `Object.prototype`, and `assert.deepStrictEqual` / `toStrictEqual` then fail
 * on equal values. Under node:test both realms are the same and nothing changes.
 */
function inThisRealm(res: Response): Response {
  Object.defineProperty(res, 'json', {
    value: async () => JSON.parse(await res.text()) as unknown,
    configurable: true,
  });
  return res;
}
