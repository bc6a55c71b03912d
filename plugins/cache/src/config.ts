import { z } from 'zod';
import { byteSize } from '@aihub/core/plugin-api';

/**
 * `deterministic`: cache only requests whose answer does not depend on sampling (temperature 0);
 * `always`: cache every request (embeddings; or a route/model an operator opts in);
 * `off`: never cache.
 */
const mode = z.enum(['deterministic', 'always', 'off']);

const ttl = z
  .number()
  .int()
  .positive()
  .max(30 * 24 * 3600);

const routePolicy = z
  .object({
    mode: mode.optional().describe('Which requests of this route are cached (default: the global mode)'),
    ttlSeconds: ttl.optional().describe('TTL of entries of this route'),
  })
  .strict();

export const cacheConfig = z
  .object({
    mode: mode
      .default('deterministic')
      .describe('Default caching policy of chat requests: deterministic (temperature 0 only), always or off'),
    ttlSeconds: ttl.default(3600).describe('Default entry TTL'),
    routes: z
      .record(z.enum(['/v1/chat/completions', '/v1/embeddings']), routePolicy)
      .default({ '/v1/chat/completions': {}, '/v1/embeddings': { mode: 'always' } })
      .describe(
        'Routes the cache serves (POST, tagged "ai") with per-route mode and TTL; embeddings are deterministic, so `always` suits them',
      ),
    models: z
      .record(z.string().min(1), routePolicy)
      .default({})
      .describe(
        "Per requested model: mode and TTL (override the route). A tenant's settings.cache.ttlSeconds overrides every TTL; settings.cache.enabled true caches all its requests, false none",
      ),
    l1: z
      .object({
        maxEntries: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe('Largest number of entries in the in-process LRU'),
        maxBytes: byteSize
          .default(64 * 1024 * 1024)
          .describe(
            'Largest total size of the in-process LRU (JSON bytes, plus rendered streams), e.g. 64mb (the default)',
          ),
      })
      .strict()
      .prefault({})
      .describe('In-process LRU (L1)'),
    l2: z
      .enum(['auto', 'on', 'off'])
      .default('auto')
      .describe(
        'Shared layer in the core store: auto = on with Redis, off with the in-memory store (an unbounded second copy in the same process adds nothing)',
      ),
    maxEntryBytes: byteSize
      .default(1024 * 1024)
      .describe('Responses larger than this are not cached, e.g. 1mb (the default)'),
    singleFlight: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Concurrent identical misses share one upstream call (in process; across instances with a Redis lock)',
          ),
        waitMs: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe('How long followers wait for the leader before making their own call; also the lock TTL'),
        pollMs: z
          .number()
          .int()
          .positive()
          .default(100)
          .describe('Followers on other instances check the shared layer this often (besides a pub/sub wake-up)'),
      })
      .strict()
      .prefault({})
      .describe('One upstream call for concurrent identical misses'),
    statsFlushMs: z
      .number()
      .int()
      .min(100)
      .max(300_000)
      .default(5000)
      .describe(
        'How often each instance adds its per-tenant hit and miss counts to the shared counters the admin API reads (GET /admin/v1/tenants/:id/cache)',
      ),
    usageRecords: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'Publish a UsageRecord (cacheHit true, costMicros 0, provider "cache") for hits: auto = unless a plugin prepared AiCallKey before the lookup (the ai plugin does, and records hits itself)',
      ),
  })
  .strict();

export type CacheConfig = z.output<typeof cacheConfig>;
export type CacheMode = z.output<typeof mode>;
export type CacheRoute = '/v1/chat/completions' | '/v1/embeddings';
