import type { UsageRecord } from '@aihub/core/plugin-api';

/**
 * A usage record as the ai plugin publishes one for a plain, priced chat call of `tenantId` (its key
 * `k-<tenantId>`, now), with `over` on top; extra keys reach the consumer as a newer publisher's would.
 */
export function usageRecord(
  tenantId: string,
  requestId: string,
  over: Partial<UsageRecord> & Record<string, unknown> = {},
): UsageRecord {
  return {
    requestId,
    timestamp: new Date().toISOString(),
    tenantId,
    keyId: `k-${tenantId}`,
    userId: null,
    teamId: null,
    endpoint: 'chat.completions',
    model: 'gpt-4o-mini',
    resolvedModel: null,
    provider: 'openai',
    deployment: null,
    experiment: null,
    variant: null,
    promptTokens: 10,
    completionTokens: 5,
    cachedTokens: 0,
    totalTokens: 15,
    estimated: false,
    costMicros: 100,
    priced: true,
    latencyMs: 20,
    ttftMs: null,
    status: 'success',
    httpStatus: 200,
    errorCode: null,
    cacheHit: false,
    stream: false,
    ...over,
  };
}
