import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  AiCallKey,
  PrincipalKey,
  TenantKey,
  USAGE_TOPIC,
  defineStateKey,
  type AiCallInfo,
  type GatewayContext,
  type GatewayMiddleware,
  type HookDefinition,
  type PluginContext,
  type RouteInfo,
} from '@aihub/core/plugin-api';
import type { Next } from 'koa';
import type { CacheLayers } from './CacheLayers';
import { StreamCapture } from './capture';
import type { CacheConfig, CacheRoute } from './config';
import { toOpenAiUsage, type CacheEntry, type OpenAiUsage, type StoredEntry } from './entry';
import { cacheKey } from './key';
import type { CacheMetrics } from './metrics';
import { decide } from './policy';
import type { Flight, Flights } from './SingleFlight';
import type { TenantStats } from './TenantStats';
import { hitUsageRecord } from './usage';

export interface CacheDeps {
  layers: CacheLayers;
  flights: Flights;
  metrics: CacheMetrics;
  /** Per-tenant hits and misses by layer (the console's cache screen). */
  stats: TenantStats;
}

/** A miss this request will try to fill. */
interface Pending {
  key: string;
  tenantId: string;
  model: string;
  kind: CacheEntry['kind'];
  ttlMs: number;
  flight?: Flight;
  lockToken?: string;
  /** The non-streamed response body as the handler set it. */
  body?: unknown;
  capture?: StreamCapture;
}

interface Hit {
  entry: StoredEntry;
  endpoint: AiCallInfo['endpoint'];
  model: string;
  stream: boolean;
  /** Whether this plugin publishes the hit's usage record (see config `usageRecords`). */
  publish: boolean;
}

const PendingKey = defineStateKey<Pending>('cache.pending');
const HitKey = defineStateKey<Hit>('cache.hit');

const ENDPOINT: Record<CacheRoute, AiCallInfo['endpoint']> = {
  '/v1/chat/completions': 'chat.completions',
  '/v1/embeddings': 'embeddings',
};
const KIND: Record<CacheRoute, CacheEntry['kind']> = { '/v1/chat/completions': 'chat', '/v1/embeddings': 'embeddings' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/**
 * Answers from an entry: JSON, or an SSE replay when the request streams a chat. AiCallKey gets
 * cacheHit, the cached usage and no cost; when a plugin already set it (the ai plugin prepares the
 * call before cache.lookup) that object is updated, so its experiment fields stay and its own
 * meter hook sees the hit.
 */
function serve(c: GatewayContext, hit: Hit, includeUsage: boolean): void {
  const { entry } = hit;
  c.status = 200;
  c.set('x-aihub-cache', 'hit');
  c.set('age', String(Math.max(0, Math.floor((Date.now() - entry.entry.storedAt) / 1000))));
  if (hit.stream && entry.entry.kind === 'chat') {
    c.set('content-type', 'text/event-stream; charset=utf-8');
    c.set('cache-control', 'no-cache');
    c.body = entry.stream(includeUsage);
  } else {
    c.set('content-type', 'application/json; charset=utf-8');
    c.body = entry.json;
  }
  const resolved = entry.entry.body.model;
  const facts = {
    provider: 'cache',
    resolvedModel: typeof resolved === 'string' ? resolved : undefined,
    usage: entry.usage,
    costMicros: 0,
    cacheHit: true,
  };
  const existing = AiCallKey.get(c);
  if (existing) Object.assign(existing, facts);
  else AiCallKey.set(c, { endpoint: hit.endpoint, model: hit.model, stream: hit.stream, ...facts });
  HitKey.set(c, hit);
}

function lookup(ctx: PluginContext<CacheConfig>, deps: () => CacheDeps, route: CacheRoute): GatewayMiddleware {
  const { config } = ctx;
  const sf = config.singleFlight;
  const endpoint = ENDPOINT[route];
  const kind = KIND[route];
  return async (c: GatewayContext, next: Next) => {
    const body = c.request.body;
    const model = isRecord(body) && typeof body.model === 'string' && body.model.length > 0 ? body.model : undefined;
    // Malformed requests go on to the handler, which explains what is wrong.
    if (!model || !isRecord(body)) return next();
    const { layers, flights, metrics, stats } = deps();
    const tenant = TenantKey.get(c);
    const tenantId = tenant?.id ?? PrincipalKey.get(c)?.tenantId ?? '_';
    const decision = decide(config, route, model, body, tenant?.settings?.cache, {
      aihub: c.get('x-aihub-cache') || undefined,
      cacheControl: c.get('cache-control') || undefined,
    });
    if (!decision) {
      metrics.request('l1', 'bypass');
      c.set('x-aihub-cache', 'bypass');
      return next();
    }
    // An experiment's variants answer differently: each keeps its own entries.
    const prepared = AiCallKey.get(c);
    const key = cacheKey(
      tenantId,
      model,
      body,
      prepared?.variant === undefined ? undefined : `${prepared.experiment ?? ''}/${prepared.variant}`,
    );
    const stream = body.stream === true;
    const includeUsage = stream && isRecord(body.stream_options) && body.stream_options.include_usage === true;
    // auto: publish unless a plugin prepared AiCallKey before the lookup (the ai plugin does, and
    // records the hit itself from the AiCallKey this plugin fills in).
    const publish = config.usageRecords === 'always' || (config.usageRecords === 'auto' && prepared === undefined);
    const hit = (entry: StoredEntry) => serve(c, { entry, endpoint, model, stream, publish }, includeUsage);
    const pending: Pending = { key, tenantId, model, kind, ttlMs: decision.ttlMs };

    if (decision.read) {
      const local = layers.getL1(key);
      if (local) {
        metrics.request('l1', 'hit');
        stats.record(tenantId, 'l1_hit');
        return hit(local);
      }
      const running = sf.enabled ? flights.get(key) : undefined;
      if (running) {
        // Another request of this process is fetching the same answer: wait for it.
        const entry = await running.wait(sf.waitMs);
        metrics.request('l1', entry ? 'hit' : 'miss');
        stats.record(tenantId, entry ? 'l1_hit' : 'l1_miss');
        if (entry) return hit(entry);
      } else {
        metrics.request('l1', 'miss');
        stats.record(tenantId, 'l1_miss');
        if (sf.enabled) pending.flight = flights.lead(key);
        if (layers.l2) {
          try {
            const token = randomBytes(9).toString('base64url');
            const lockMs = sf.enabled && layers.l2.kind === 'redis' ? sf.waitMs : 0;
            let r = await layers.claim(key, token, lockMs);
            // Another instance leads: wait for its entry (or for its lock to go, then lead).
            if (r.kind === 'busy') r = await layers.awaitFill(key, token, lockMs, Date.now() + sf.waitMs);
            if (r.kind === 'hit') {
              metrics.request('l2', 'hit');
              stats.record(tenantId, 'l2_hit');
              if (pending.flight) flights.finish(key, pending.flight, r.entry);
              return hit(r.entry);
            }
            metrics.request('l2', 'miss');
            stats.record(tenantId, 'l2_miss');
            if (r.kind === 'lead') pending.lockToken = token;
          } catch (err) {
            if (pending.flight) flights.finish(key, pending.flight, undefined);
            throw err;
          }
        }
      }
    }
    c.set('x-aihub-cache', 'miss');
    PendingKey.set(c, pending);
    return next();
  };
}

/** Before the response goes out: keep the body, or tee the stream, of a miss being filled. */
function capture(config: CacheConfig): (c: GatewayContext) => void {
  return (c) => {
    const p = PendingKey.get(c);
    if (!p || c.status !== 200) return;
    const b: unknown = c.body;
    if (b instanceof Readable || b instanceof WebReadableStream) {
      const type = String(c.response.get('content-type') ?? '');
      p.capture = new StreamCapture(type.startsWith('text/event-stream'), config.maxEntryBytes);
      c.body = p.capture.wrap(b);
    } else {
      p.body = b;
    }
  };
}

/** The response as an entry, or undefined when it is not a complete, successful answer. */
function entryOf(c: GatewayContext, p: Pending): CacheEntry | undefined {
  if (c.status !== 200) return undefined;
  let body: unknown;
  if (p.capture) {
    if (!p.capture.ended || p.capture.overflow) return undefined;
    if (p.capture.assembler) {
      if (!p.capture.assembler.complete) return undefined;
      body = p.capture.assembler.result();
    } else body = parseJson(p.capture.text());
  } else if (typeof p.body === 'string' || Buffer.isBuffer(p.body)) body = parseJson(p.body.toString());
  else body = p.body;
  if (!isRecord(body)) return undefined;
  if (p.kind === 'chat' && (!Array.isArray(body.choices) || body.choices.length === 0)) return undefined;
  if (p.kind === 'embeddings' && !Array.isArray(body.data)) return undefined;
  if (body.usage === undefined) {
    // A stream without the usage chunk: the ai plugin still knows the usage.
    const usage = AiCallKey.get(c)?.usage;
    if (usage) body = { ...body, usage: toOpenAiUsage(usage) satisfies OpenAiUsage };
  }
  const now = Date.now();
  return {
    v: 1,
    kind: p.kind,
    model: p.model,
    storedAt: now,
    expiresAt: now + p.ttlMs,
    body: body as Record<string, unknown>,
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * After the response (streams: after the last chunk): store a complete answer, settle the flight
 * and the lock; for a hit, publish its usage record.
 */
function finish(ctx: PluginContext<CacheConfig>, deps: () => CacheDeps): (c: GatewayContext) => void {
  return (c) => {
    const hit = HitKey.get(c);
    if (hit) {
      if (hit.publish)
        ctx.queue.publish(USAGE_TOPIC, hitUsageRecord(c, hit.entry, hit.endpoint, hit.model, hit.stream));
      return;
    }
    const p = PendingKey.get(c);
    if (!p) return;
    const { layers, flights } = deps();
    let entry: CacheEntry | undefined;
    try {
      entry = entryOf(c, p);
    } catch (err) {
      ctx.logger.warn('could not read a response for the cache', { err });
    }
    const put = entry ? layers.put(p.key, p.tenantId, entry) : undefined;
    if (p.flight) flights.finish(p.key, p.flight, put?.stored);
    if (p.lockToken) {
      const token = p.lockToken;
      void (put ? put.shared : Promise.resolve(false)).then((filled) => layers.release(p.key, token, filled));
    }
  };
}

/**
 * The cache's hooks: a `cache.lookup` per cached route (POST, tagged `ai`), the capture in
 * `response.transform` (late, so it stores what the client got) and the store in `response.meter`.
 */
export function cacheHooks(ctx: PluginContext<CacheConfig>, deps: () => CacheDeps): HookDefinition[] {
  const routes = Object.keys(ctx.config.routes) as CacheRoute[];
  const cached = (r: RouteInfo) =>
    r.pipeline && r.method === 'POST' && r.tags.includes('ai') && (routes as string[]).includes(r.path);
  return [
    ...routes.map((route): HookDefinition => ({
      name: `lookup${route.replace(/\//g, '-')}`,
      phase: 'cache.lookup',
      appliesTo: (r) => cached(r) && r.path === route,
      handle: lookup(ctx, deps, route),
    })),
    { name: 'capture', phase: 'response.transform', order: 1000, appliesTo: cached, handle: capture(ctx.config) },
    { name: 'store', phase: 'response.meter', appliesTo: cached, handle: finish(ctx, deps) },
  ];
}
