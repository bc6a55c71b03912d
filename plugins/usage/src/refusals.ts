import {
  AiCallKey,
  ApiVersionKey,
  PrincipalKey,
  TenantKey,
  USAGE_TOPIC,
  gatewayOverheadMs,
  requestMeta,
  usageTimestamp,
  type GatewayContext,
  type HookDefinition,
  type PluginContext,
  type UsageRecord,
} from '@aihub/core/plugin-api';
import type { UsageConfig } from './config';
import type { UsageMetrics } from './metrics';
import { isInvokeRoute } from './writeAhead';

/** The usage endpoint of an invoke route: its path's last segment (`chat.completions` for chat). */
function endpointOf(path: string): UsageRecord['endpoint'] {
  if (path.endsWith('/chat/completions')) return 'chat.completions';
  // embeddings, messages, completions (and any invoke route added later, stored as named).
  return path.slice(path.lastIndexOf('/') + 1) as UsageRecord['endpoint'];
}

/** The model the client asked for, as far as the body says it (it may not have been JSON at all). */
function askedModel(body: unknown): string {
  const model = body && typeof body === 'object' ? (body as { model?: unknown }).model : undefined;
  return typeof model === 'string' && model ? model : 'unknown';
}

/** The stable code of the rendered error: OpenAI's and Anthropic's error bodies both carry `error.code`. */
function errorCodeOf(body: unknown): string | null {
  const code = body && typeof body === 'object' ? (body as { error?: { code?: unknown } }).error?.code : undefined;
  return typeof code === 'string' ? code : null;
}

/**
 * The usage record of a request refused before an AI call was prepared: invalid body (400), unknown
 * or forbidden model (404, 403), a missing scope (403), a rate limit (429) or a budget (429/503).
 * Without it such a request is in neither the request explorer nor the error rate. It carries the
 * model as asked, the status and error code; no provider or deployment, zero tokens and a cost of 0
 * (priced: nothing was spent), so spend, budgets and invoices stay what they were.
 */
export function refusalRecord(c: GatewayContext, tenantId: string): UsageRecord {
  const ks = requestMeta(c);
  const principal = PrincipalKey.get(c);
  const res = c.res;
  const sent = Number(res.getHeader('x-aihub-overhead-ms'));
  const elapsed = performance.now() - ks.startedAt;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    requestId: ks.uid,
    clientRequestId: ks.uid !== ks.requestId ? ks.requestId : null,
    timestamp: usageTimestamp(Math.round(Date.now() - elapsed)),
    tenantId,
    keyId: principal?.keyId ?? null,
    apiVersion: ApiVersionKey.get(c) ?? null,
    userId: principal?.userId ?? null,
    teamId: principal?.teamId ?? null,
    endpoint: endpointOf(c.path),
    model: askedModel(c.request.body),
    resolvedModel: null,
    provider: null,
    deployment: null,
    experiment: null,
    variant: null,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    totalTokens: 0,
    estimated: false,
    costMicros: 0,
    priced: true,
    latencyMs: round(elapsed),
    ttftMs: null,
    status: 'error',
    httpStatus: res.statusCode,
    errorCode: errorCodeOf(c.body),
    cacheHit: false,
    stream: (c.request.body as { stream?: unknown } | undefined)?.stream === true,
    // No upstream was waited on: the whole answer was the gateway's own time.
    overheadMs: Number.isFinite(sent) ? sent : round(Number(gatewayOverheadMs(c))),
    traceId: ks.sampled && ks.span ? ks.span.spanContext().traceId : null,
    attempts: [],
    attemptCount: 0,
  };
}

/**
 * `response.meter` on AI routes: publishes the refusal record of a tenant's request that was answered
 * with an error before the ai plugin prepared its call (the ai plugin records every call it
 * prepared). Unauthenticated requests have no tenant to record them under, and a client that left
 * before any answer was refused nothing. Runs after the response was sent; publishing is the same
 * buffered, non-blocking append the ai plugin uses, so the request waits on nothing.
 */
export function refusalHook(ctx: PluginContext<UsageConfig>, metrics: UsageMetrics): HookDefinition {
  return {
    name: 'refusals',
    phase: 'response.meter',
    appliesTo: isInvokeRoute,
    handle(c) {
      const res = c.res;
      if (res.statusCode < 400 || !res.writableFinished || AiCallKey.get(c)) return;
      const tenantId = TenantKey.get(c)?.id ?? PrincipalKey.get(c)?.tenantId;
      if (!tenantId) return;
      const record = refusalRecord(c, tenantId);
      metrics.refusals.inc({ status: String(record.httpStatus) });
      try {
        ctx.queue.publish(USAGE_TOPIC, record);
      } catch (err) {
        // A full publish buffer (queue backend down for long) must not fail anything: log it.
        ctx.logger.error('could not enqueue the usage record of a refused request', {
          err,
          request_id: record.requestId,
        });
      }
    },
  };
}
