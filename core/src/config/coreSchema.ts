import { z } from 'zod';
import { PHASES } from '../kernel/phases';

/** Byte sizes accept numbers or strings like `1mb`, `512kb`. */
export const byteSize = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'use a number of bytes or a size like "1mb"'),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(v)!;
    const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
    return Math.floor(Number(m[1]) * mult);
  });

export const pluginEntrySchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'plugin names are kebab-case')
      .describe('Plugin name; resolves to the package @aihub/plugin-<name> unless `package` is set'),
    package: z
      .string()
      .optional()
      .describe('npm package name or a path (relative to the config file) to load the plugin from'),
    enabled: z.boolean().default(true).describe('Set false to keep the entry but not load the plugin'),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("The plugin's own configuration, validated by its schema"),
  })
  .strict();

export const coreConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('0.0.0.0').describe('Interface to listen on'),
        port: z.number().int().min(0).max(65535).default(8080).describe('Port to listen on (AIHUB_PORT, --port)'),
        workers: z
          .union([z.literal('auto'), z.number().int().min(1).max(256)])
          .default(1)
          .describe(
            'Worker processes sharing the port (`aihub start --workers` overrides); auto = one per core. More than 1 needs PostgreSQL and Redis',
          ),
        bodyLimit: byteSize.default(1024 * 1024).describe('Largest request body accepted; larger bodies get 413'),
        shutdownTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(15_000)
          .describe('How long in-flight requests may take to finish on SIGTERM'),
        shutdownDelayMs: z
          .number()
          .int()
          .min(0)
          .max(600_000)
          .default(0)
          .describe(
            'On SIGTERM, keep accepting requests for this long with /health/ready answering 503 before draining, so load balancers take the instance out first (set it above their health-check interval × unhealthy threshold)',
          ),
        pluginStopTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe('How long each plugin may take to stop'),
        keepAliveTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(65_000)
          .describe('HTTP keep-alive timeout; keep it above your load balancer idle timeout'),
        idleTrimIntervalMs: z
          .number()
          .int()
          .min(0)
          .max(600_000)
          .default(5000)
          .describe(
            'When the event loop was idle this long, run a full GC so V8 gives back the young generation grown at boot or under load (about 40 MB); 0: never',
          ),
        heapGrowthPercent: z
          .number()
          .int()
          .min(0)
          .max(400)
          .default(50)
          .describe(
            "How far V8's old generation may grow past its live data before a full GC, in percent (V8's --heap-growing-percent; a command-line value wins). Under load it bounds old space, and so RSS, near live × (1 + percent / 100); 0: V8's own factor, which let a saturated gateway's old space reach about 4 × live",
          ),
        trustProxy: z.boolean().default(false).describe('Trust X-Forwarded-* headers (behind a load balancer)'),
        requestTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(300_000)
          .describe('Hard limit for one request, streaming included'),
        headersTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(20_000)
          .describe(
            'How long a client may take to send the request line and headers (408 and the connection closed after); bounds slow-header clients',
          ),
        bodyTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe(
            'How long a client may take to send a request body, counted from the start of the request (408 after); separate from requestTimeoutMs so slow uploads cannot hold a connection for minutes',
          ),
        maxConnections: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Largest number of open client connections; further ones are closed at once (0: no limit)'),
        maxConnectionsPerIp: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe(
            'Largest number of open connections from one client address (the socket peer: behind a load balancer, that is the balancer); further ones are closed at once (0: no limit)',
          ),
        hsts: z
          .union([
            z.literal(false),
            z
              .object({
                maxAgeSeconds: z
                  .number()
                  .int()
                  .min(0)
                  .default(31_536_000)
                  .describe('max-age of Strict-Transport-Security'),
                includeSubDomains: z.boolean().default(true),
                preload: z.boolean().default(false),
              })
              .strict(),
          ])
          .default(false)
          .describe(
            'Send Strict-Transport-Security on every response (only when clients reach AI Hub over HTTPS, e.g. behind a TLS-terminating proxy)',
          ),
        cors: z
          .object({
            origins: z
              .array(
                z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'an origin is scheme://host[:port] without a path, or *'),
              )
              .default([])
              .describe(
                'Origins allowed to call AI Hub from a browser (exact match); empty: no CORS headers, same-origin only',
              ),
            methods: z
              .array(z.string())
              .default(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
              .describe('Methods a preflight allows'),
            headers: z
              .array(z.string())
              .default(['authorization', 'content-type', 'x-api-key', 'x-request-id', 'traceparent'])
              .describe('Request headers a preflight allows'),
            exposeHeaders: z
              .array(z.string())
              .default(['x-request-id', 'x-aihub-overhead-ms', 'retry-after'])
              .describe('Response headers scripts may read'),
            credentials: z
              .boolean()
              .default(false)
              .describe('Allow cookies and HTTP auth in cross-origin requests (never together with origin *)'),
            maxAgeSeconds: z
              .number()
              .int()
              .min(0)
              .default(600)
              .describe('How long browsers may cache a preflight answer'),
          })
          .strict()
          .prefault({})
          .refine(
            (c) => !(c.credentials && c.origins.includes('*')),
            'credentials: true cannot be combined with origin "*"; list the origins',
          ),
      })
      .strict()
      .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, {
        message: 'headersTimeoutMs must not exceed requestTimeoutMs',
        path: ['headersTimeoutMs'],
      })
      .prefault({}),
    database: z
      .object({
        url: z
          .string()
          .optional()
          .describe('sqlite:<file> or postgres://… (DATABASE_URL); default: SQLite under the data directory'),
        migrate: z
          .enum(['auto', 'manual'])
          .default('auto')
          .describe('auto: apply pending migrations at start; manual: run `aihub migrate up`'),
        poolMax: z.number().int().positive().default(10).describe('Largest number of database connections'),
        logSql: z.boolean().default(false).describe('Log every SQL statement at debug level'),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z.string().optional().describe('redis://… (REDIS_URL); without it the store and queue are in-process'),
        keyPrefix: z.string().default('aihub:').describe('Prefix for every key AI Hub writes'),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        driver: z
          .enum(['auto', 'redis', 'database'])
          .default('auto')
          .describe('auto: Redis Streams when Redis is configured, else the database outbox'),
        flushIntervalMs: z
          .number()
          .int()
          .positive()
          .default(5)
          .describe('How long published events are buffered before one batched write'),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().default('./data').describe('Directory for the embedded SQLite database (AIHUB_DATA_DIR)'),
    logging: z
      .object({
        level: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
        format: z.enum(['json', 'pretty']).default('json'),
        access: z
          .boolean()
          .default(false)
          .describe(
            'One line per request at info once it is answered: method, route pattern, status, duration_ms, request_id, tenant_id (never the path, query or headers)',
          ),
      })
      .strict()
      .prefault({}),
    telemetry: z
      .object({
        serviceName: z.string().default('aihub').describe('service.name on traces (OTEL_SERVICE_NAME)'),
        tracing: z
          .object({
            endpoint: z
              .string()
              .optional()
              .describe(
                'OTLP/HTTP traces endpoint, e.g. http://jaeger:4318/v1/traces (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without one',
              ),
            protocol: z
              .enum(['http/protobuf', 'http/json'])
              .default('http/protobuf')
              .describe(
                'OTLP/HTTP encoding (OTEL_EXPORTER_OTLP_PROTOCOL): protobuf, the OpenTelemetry default, is smaller and cheaper to encode; gRPC is not supported',
              ),
            sampleRatio: z
              .number()
              .min(0)
              .max(1)
              .default(0.1)
              .describe('Share of new traces recorded (parent-based: a sampled caller is always followed)'),
            headers: z.record(z.string(), z.string()).default({}).describe('Extra headers for the OTLP exporter'),
          })
          .strict()
          .prefault({}),
        metrics: z
          .object({
            enabled: z.boolean().default(true),
            path: z.string().default('/metrics'),
            port: z
              .number()
              .int()
              .min(0)
              .max(65535)
              .optional()
              .describe(
                'Serve metrics on this port (a listener of their own) instead of the API port; the API port then has no metrics route',
              ),
            host: z
              .string()
              .default('127.0.0.1')
              .describe(
                'Interface of the metrics listener (with port); 0.0.0.0 only where the network keeps it private',
              ),
            bearerToken: z
              .string()
              .min(16)
              .optional()
              .describe(
                'Require `Authorization: Bearer <token>` to scrape (Prometheus: authorization.credentials); set it from the environment',
              ),
            tenantLabels: z
              .boolean()
              .default(false)
              .describe('Add a tenant label to request metrics (watch the cardinality)'),
            processMetrics: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        monitor: z
          .object({
            enabled: z
              .boolean()
              .default(true)
              .describe(
                "Publish this instance's live signals for the monitoring wall (GET /admin/v1/monitor): to Redis when configured, in-process otherwise",
              ),
            intervalMs: z
              .number()
              .int()
              .min(500)
              .max(60_000)
              .default(2000)
              .describe(
                'How often a snapshot is taken and published; an instance drops off the wall after three missed publications (at least 5 s)',
              ),
            windowSeconds: z
              .number()
              .int()
              .min(10)
              .max(3600)
              .default(300)
              .describe('History each instance keeps and publishes (the longest window the wall can ask for)'),
            instanceId: z
              .string()
              .min(1)
              .max(120)
              .optional()
              .describe("This instance's name on the wall (default: hostname-pid-random)"),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    versioning: z
      .object({
        serveAfterSunset: z
          .boolean()
          .default(false)
          .describe(
            'Keep answering requests at API versions past their sunset date (otherwise 410 api_version_sunset)',
          ),
        sunsetGraceDays: z
          .number()
          .int()
          .min(0)
          .max(3650)
          .default(0)
          .describe('Days an API version is still served after its sunset date before requests get 410'),
      })
      .strict()
      .prefault({}),
    pipeline: z
      .object({
        order: z
          .partialRecord(z.enum(PHASES), z.array(z.string()))
          .default({})
          .describe('Operator override of hook order per phase: plugin names (or plugin:hook) listed first run first'),
      })
      .strict()
      .prefault({}),
    plugins: z
      .array(pluginEntrySchema)
      .default([])
      .describe('Plugins to load, in any order (dependencies decide start order)'),
  })
  .strict();

export type CoreConfig = z.output<typeof coreConfigSchema>;
export type PluginEntry = z.output<typeof pluginEntrySchema>;
