import type { Context } from 'koa';
import { PrincipalKey, TenantKey, usageTimestamp, type AiCallInfo, type UsageRecord } from '@aihub/core/plugin-api';
import type { StoredEntry } from './entry';

/**
 * The usage record of a cache hit: the ai plugin does not run, so the cache reports it. Tokens are
 * the cached answer's (what the call would have cost), `costMicros` 0 and `priced` true (the price
 * of a hit is known: nothing), provider `cache`.
 */
export function hitUsageRecord(
  c: Context,
  entry: StoredEntry,
  endpoint: AiCallInfo['endpoint'],
  model: string,
  stream: boolean,
): UsageRecord {
  const state = c.state as { requestId?: string; startedAt?: number };
  const principal = PrincipalKey.get(c);
  const tenant = TenantKey.get(c);
  const latencyMs = state.startedAt !== undefined ? Math.max(0, Math.round(performance.now() - state.startedAt)) : 0;
  const u = entry.usage;
  const body = entry.entry.body;
  return {
    requestId: state.requestId ?? '',
    timestamp: usageTimestamp(Date.now() - latencyMs),
    tenantId: tenant?.id ?? principal?.tenantId ?? null,
    keyId: principal?.keyId ?? null,
    userId: principal?.userId ?? null,
    teamId: principal?.teamId ?? null,
    endpoint,
    model,
    resolvedModel: typeof body.model === 'string' ? body.model : null,
    provider: 'cache',
    deployment: null,
    experiment: null,
    variant: null,
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    cachedTokens: u.cachedTokens,
    totalTokens: u.totalTokens,
    estimated: false,
    costMicros: 0,
    priced: true,
    latencyMs,
    ttftMs: stream ? latencyMs : null,
    status: c.res.writableFinished ? 'success' : 'cancelled',
    httpStatus: 200,
    errorCode: null,
    cacheHit: true,
    stream,
  };
}
