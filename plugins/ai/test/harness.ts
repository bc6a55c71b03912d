/**
 * Test harness of the ai plugin: a real gateway (embedded SQLite + memory, or PostgreSQL + Redis)
 * with the ai plugin, a real mock upstream server, a usage-record consumer on the core queue, a
 * stand-in auth/tenancy plugin driven by `x-test-*` headers, and captured log lines.
 */
import { randomBytes } from 'node:crypto';
import { type Logger, type Subscription } from '@aihub/core/plugin-api';
import { Kernel, createLogger, createRedisStore, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import {
  AiCallKey,
  PrincipalKey,
  TenantKey,
  USAGE_TOPIC,
  definePlugin,
  type PluginDefinition,
  type TenantSettings,
  type UsageRecord,
} from '@aihub/core/plugin-api';
import Transport from 'winston-transport';
import {
  startMockUpstream,
  type MockUpstream,
  type MockUpstreamOptions,
} from '../../../bench/src/mock-upstream/server';
import aiPlugin from '../src/index';

export type Backend = 'embedded' | 'postgres';

export const MOCK_KEY = 'sk-test-upstream-secret-0123456789';

/** Collects usage records from USAGE_TOPIC, as the usage plugin would. */
export function usageSink() {
  const records: UsageRecord[] = [];
  let sub: Subscription | undefined;
  const def = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'usage-sink',
    version: '0.0.0',
    core: '^0.1.0',
    start(ctx) {
      sub = ctx.queue.consume<UsageRecord>(
        USAGE_TOPIC,
        { group: `sink-${randomBytes(4).toString('hex')}`, blockMs: 20 },
        async (msgs) => {
          for (const m of msgs) records.push(m.payload);
        },
      );
    },
    async stop() {
      await sub?.stop();
    },
  });
  return {
    def,
    records,
    /** Resolves with the record of a request (its x-request-id) once it arrived. */
    async waitFor(requestId: string, timeoutMs = 5000): Promise<UsageRecord> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = records.find((x) => x.requestId === requestId || x.clientRequestId === requestId);
        if (r) return r;
        if (Date.now() > until)
          throw new Error(
            `no usage record for ${requestId} within ${timeoutMs} ms (have ${records.map((x) => x.requestId).join(', ')})`,
          );
        await new Promise((res) => setTimeout(res, 10));
      }
    },
  };
}

/**
 * Stand-in for the auth and tenancy plugins: `x-test-tenant`, `x-test-user`, `x-test-key`,
 * `x-test-role`, `x-test-scopes` and `x-test-settings` (JSON TenantSettings) set PrincipalKey and
 * TenantKey. Without x-test-tenant nothing is set (as with no auth plugin loaded).
 */
export const fakeIdentity: PluginDefinition = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'fake-identity',
  version: '0.0.0',
  core: '^0.1.0',
  hooks: [
    {
      phase: 'request.authenticate',
      async handle(c, next) {
        const tenant = c.get('x-test-tenant');
        if (tenant) {
          const keyId = c.get('x-test-key') || undefined;
          const userId = c.get('x-test-user') || undefined;
          PrincipalKey.set(c, {
            kind: 'api_key',
            subject: keyId ?? userId ?? 'anonymous',
            tenantId: tenant,
            keyId,
            userId,
            scopes: (c.get('x-test-scopes') || 'ai:invoke').split(','),
            role: (c.get('x-test-role') || undefined) as 'owner' | undefined,
          });
          const settings = c.get('x-test-settings');
          TenantKey.set(c, {
            id: tenant,
            slug: tenant,
            name: tenant,
            status: 'active',
            plan: 'test',
            settings: settings ? (JSON.parse(settings) as TenantSettings) : {},
          });
        }
        await next();
      },
    },
  ],
});

/** Stand-in for the cache plugin: `x-test-cache-hit` answers from "cache" in cache.lookup, as a hit would. */
export const fakeCache: PluginDefinition = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'fake-cache',
  version: '0.0.0',
  core: '^0.1.0',
  hooks: [
    {
      phase: 'cache.lookup',
      appliesTo: (route) => route.tags.includes('ai'),
      async handle(c, next) {
        const info = AiCallKey.get(c);
        if (!c.get('x-test-cache-hit') || !info) return next();
        info.cacheHit = true;
        info.usage = { promptTokens: 3, completionTokens: 4, cachedTokens: 0, totalTokens: 7, estimated: false };
        info.costMicros = 0;
        c.body = { cached: true };
      },
    },
  ],
});

/** A winston logger whose lines (final JSON, after the core's redaction format) are kept. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json' });
  logger.clear();
  logger.add(
    new (class extends Transport {
      override log(info: Record<string | symbol, unknown>, next: () => void) {
        lines.push(String(info[Symbol.for('message')] ?? JSON.stringify(info)));
        next();
      }
    })(),
  );
  return { logger, lines };
}

export interface StackOptions {
  backend?: Backend;
  /** Config of the ai plugin (providers default to one openai provider `up` at the mock upstream); a function gets the mock. */
  ai?: Record<string, unknown> | ((mock: MockUpstream) => Record<string, unknown>);
  /** The ai plugin's config exactly as given (no `up` provider or default models added). */
  aiRaw?: Record<string, unknown>;
  mock?: MockUpstreamOptions;
  plugins?: PluginDefinition[];
  /** Core config overrides. */
  config?: Record<string, unknown>;
}

export interface Stack {
  url: string;
  kernel: Kernel;
  mock: MockUpstream;
  usage: ReturnType<typeof usageSink>;
  logs: string[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** The mock upstream as an OpenAI provider, the default `up` provider of test configs. */
export function upstreamProvider(mock: MockUpstream, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: MOCK_KEY, ...extra };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const backend = options.backend ?? 'embedded';
  const mock = await startMockUpstream({ apiKey: MOCK_KEY, completionTokens: 8, ...options.mock });
  const usage = usageSink();
  const { logger, lines } = captureLogger();
  let db: TestDatabase | undefined;
  let redis: { url: string; keyPrefix: string } | undefined;
  const core: Record<string, unknown> = { ...options.config };
  if (backend === 'postgres') {
    db = await createTestDatabase('postgres');
    core.database = { url: db.url };
    redis = {
      url: process.env.AIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: `aihub-test-${randomBytes(6).toString('hex')}:`,
    };
    core.redis = redis;
  } else {
    core.database = { url: 'sqlite::memory:' };
  }
  const given = (typeof options.ai === 'function' ? options.ai(mock) : (options.ai ?? {})) as {
    providers?: Record<string, unknown>;
    models?: Record<string, unknown>;
  };
  const ai = {
    ...given,
    providers: { up: upstreamProvider(mock), ...given.providers },
    models: given.models ?? {
      'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
      'text-embedding-3-small': { deployments: [{ provider: 'up', model: 'text-embedding-3-small' }] },
    },
  };
  const aiConfig = options.aiRaw ?? ai;
  const defs = [aiPlugin as PluginDefinition, usage.def, fakeIdentity, ...(options.plugins ?? [])];
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({
      inline: {
        ...core,
        server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2000 },
        telemetry: { ...(core.telemetry as object), metrics: { processMetrics: false } },
        plugins: defs.map((d) => (d.name === 'ai' ? { name: 'ai', config: aiConfig } : { name: d.name })),
      },
      definitions: defs,
      env: {},
      logger,
    });
  } catch (err) {
    await mock.close();
    await db?.drop();
    throw err;
  }
  const url = kernel.url;
  let stopping: Promise<void> | undefined;
  return {
    url,
    kernel,
    mock,
    usage,
    logs: lines,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    stop() {
      stopping ??= (async () => {
        await kernel.stop('test');
        await mock.close();
        await db?.drop();
        // The usage stream and every other key the stack wrote (after the stop: its last flush too).
        if (redis) {
          const store = createRedisStore({ url: redis.url, prefix: redis.keyPrefix });
          await store.deleteByPrefix('').finally(() => store.close());
        }
      })();
      return stopping;
    },
  };
}

/** JSON POST helper. */
export function postJson(
  stack: Stack,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return stack.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The text of a metric family's samples (Prometheus text format). */
export async function metricLines(stack: Stack, name: string): Promise<string[]> {
  const text = await (await stack.fetch('/metrics')).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

/** A sample's value by exact label set (labels in any order). */
export async function metricValue(
  stack: Stack,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  for (const line of await metricLines(stack, name)) {
    const m = /^[^{]+\{(.*)\} (\S+)/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return undefined;
}
