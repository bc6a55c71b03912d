import type { TenantSettings } from '@aihub/core/plugin-api';
import type { CacheConfig, CacheMode, CacheRoute } from './config';

/** What the cache may do for one request. */
export interface CacheDecision {
  /** Serve from the cache. False with `Cache-Control: no-cache` (refresh: write only). */
  read: boolean;
  /** Store the response. */
  write: boolean;
  ttlMs: number;
}

/** The request's own cache directives. */
export interface RequestDirectives {
  /** `x-aihub-cache` request header. */
  aihub: string | undefined;
  /** `Cache-Control` request header. */
  cacheControl: string | undefined;
}

function hasDirective(header: string | undefined, directive: string): boolean {
  if (!header) return false;
  for (const part of header.split(',')) if (part.trim().toLowerCase() === directive) return true;
  return false;
}

/**
 * Decides whether a request may be read from and written to the cache; `undefined` means bypass.
 *
 * 1. `x-aihub-cache: bypass` or `Cache-Control: no-store` → bypass (no read, no write).
 * 2. The tenant's `settings.cache.enabled: false` → bypass (a tenant opt-out beats everything).
 * 3. Mode: the model's, else the route's, else the global one; `off` → bypass (the operator's word
 *    beats the caller's `force`).
 * 4. `deterministic` caches only `temperature: 0` (an absent temperature means the default of 1, and
 *    `seed` is only best-effort determinism at OpenAI, so neither qualifies). The tenant's
 *    `settings.cache.enabled: true` or the caller's `x-aihub-cache: force` lift this to `always`.
 * 5. `Cache-Control: no-cache` → write only (the answer is refreshed, not read).
 * TTL: the tenant's `settings.cache.ttlSeconds`, else the model's, else the route's, else the default.
 */
export function decide(
  config: CacheConfig,
  route: CacheRoute,
  model: string,
  body: Record<string, unknown>,
  tenant: TenantSettings['cache'] | undefined,
  d: RequestDirectives,
): CacheDecision | undefined {
  const aihub = d.aihub?.trim().toLowerCase();
  if (aihub === 'bypass' || hasDirective(d.cacheControl, 'no-store')) return undefined;
  if (tenant?.enabled === false) return undefined;
  const modelPolicy = config.models[model];
  const routePolicy = config.routes[route];
  let mode: CacheMode = modelPolicy?.mode ?? routePolicy?.mode ?? config.mode;
  if (mode === 'off') return undefined;
  if (tenant?.enabled === true || aihub === 'force') mode = 'always';
  if (mode === 'deterministic' && route === '/v1/chat/completions' && body.temperature !== 0) return undefined;
  const ttlSeconds =
    positive(tenant?.ttlSeconds) ?? modelPolicy?.ttlSeconds ?? routePolicy?.ttlSeconds ?? config.ttlSeconds;
  return { read: !hasDirective(d.cacheControl, 'no-cache'), write: true, ttlMs: ttlSeconds * 1000 };
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
