import {
  AiCallKey,
  ApiVersionKey,
  USAGE_TOPIC,
  gatewayOverheadMs,
  requestMeta,
  usageTimestamp,
  type AiUsage,
  type EventQueue,
  type GatewayContext,
  type Logger,
  type UsageRecord,
} from '@aihub/core/plugin-api';
import type { AiConfig } from '../config';
import type { AiMetrics } from '../metrics';
import { costSplit } from '../pricing';
import type { RequestLog } from '../store/RequestLog';
import { countTokens, estimatePromptTokens } from '../tokenCount';
import type { RawUsage } from '../types';
import { reportedUsage } from './reportedUsage';
import type { AiCall, CallStatus } from './AiCall';

/**
 * The gateway's own time on the request, as the client saw it in x-aihub-overhead-ms (set by the
 * kernel on every answer, and when a stream's headers went out, so a stream's relay time is not
 * counted); computed from the kernel's clock when no header was sent (the client left first).
 */
function overheadOf(ctx: GatewayContext): number {
  const sent = Number(ctx.res.getHeader('x-aihub-overhead-ms'));
  return Number.isFinite(sent) ? sent : Number(gatewayOverheadMs(ctx));
}

export interface FinishFacts {
  httpStatus: number;
  errorCode?: string | null;
  /** Usage the provider reported. */
  usage?: RawUsage;
  /** The upstream saw the request (so tokens were spent even without a usage report). */
  upstreamCalled: boolean;
  /** Completion text so far, for an estimate (streams). */
  completionText?: () => string;
  firstTokenAt?: number;
}

/**
 * Settles calls (usage reported or estimated, cost, metrics, AiCallKey, the ai_requests row) and
 * publishes one UsageRecord per request to USAGE_TOPIC. Publishing is a buffered, non-blocking
 * append; it happens after the response was sent (response.meter).
 */
export class UsageRecorder {
  private readonly warnedUnpriced = new Set<string>();

  constructor(
    private readonly config: AiConfig,
    private readonly queue: EventQueue,
    private readonly metrics: AiMetrics,
    private readonly logger: Logger,
    private readonly requestLog: RequestLog | undefined,
  ) {}

  finish(call: AiCall, status: CallStatus, facts: FinishFacts): void {
    if (call.finished) return;
    call.finished = true;
    call.endedAt = performance.now();
    call.status = status;
    call.httpStatus = facts.httpStatus;
    call.errorCode = facts.errorCode ?? null;
    call.firstTokenAt = facts.firstTokenAt;

    let usage: AiUsage | undefined;
    // What the provider reported, with any count that is not a number of tokens counted here instead.
    let reported: RawUsage | undefined;
    if (facts.usage) {
      const { prompt, completion, rest } = reportedUsage(facts.usage);
      const promptTokens = prompt ?? estimatePromptTokens(call.input.body);
      const completionTokens = completion ?? (facts.completionText ? countTokens(facts.completionText()) : 0);
      reported = { ...rest, promptTokens, completionTokens };
      usage = {
        promptTokens,
        completionTokens,
        cachedTokens: rest.cachedTokens,
        totalTokens: promptTokens + completionTokens,
        estimated: prompt === undefined || completion === undefined,
      };
      if (rest.cacheWriteTokens) usage.cacheWriteTokens = rest.cacheWriteTokens;
      if (rest.reasoningTokens) usage.reasoningTokens = rest.reasoningTokens;
    } else if (facts.upstreamCalled && (status !== 'error' || facts.completionText)) {
      // The provider spent tokens but did not say how many: count them ourselves, and say so.
      const prompt = estimatePromptTokens(call.input.body);
      const completion = facts.completionText ? countTokens(facts.completionText()) : 0;
      usage = {
        promptTokens: prompt,
        completionTokens: completion,
        cachedTokens: 0,
        totalTokens: prompt + completion,
        estimated: true,
      };
    }
    call.usage = usage;
    call.info.usage = usage;

    const price = call.entry ? call.entry.price : (call.route.entries[0]?.price ?? null);
    if (price) {
      // The provider's own counts when it gave them: they also say how many prompt tokens were cache writes.
      const split = usage ? costSplit(price, reported ?? usage) : { input: 0, cached: 0, output: 0 };
      call.costSplit = split;
      call.costMicros = split.input + split.cached + split.output;
      call.priced = true;
    } else {
      call.costMicros = null;
      call.priced = false;
      this.unpriced(call);
    }
    call.info.costMicros = call.costMicros;
    this.count(call);
    const track = this.config.feedback.trackRequests;
    if (!this.requestLog || track === 'off' || (track === 'experiments' && call.experiment === undefined)) return;
    this.requestLog.add({
      request_id: call.requestId,
      tenant_id: call.tenantId,
      experiment: call.experiment ?? null,
      variant: call.variant ?? null,
      model: call.alias,
      status,
      latency_ms: Math.round(call.endedAt - call.startedAt),
      prompt_tokens: usage?.promptTokens ?? 0,
      completion_tokens: usage?.completionTokens ?? 0,
      cost_micros: call.costMicros,
      created_at: call.startedAtEpoch,
    });
  }

  private unpriced(call: AiCall): void {
    const model = call.entry?.dep.model ?? call.alias;
    this.metrics.unpriced.inc({ model: call.alias });
    if (this.warnedUnpriced.has(model)) return;
    this.warnedUnpriced.add(model);
    this.logger.warn(
      `model "${model}" has no price: its cost is recorded as unknown (null), not zero; add it under pricing`,
      { model, alias: call.alias },
    );
  }

  private count(call: AiCall): void {
    const m = this.metrics;
    const provider = call.entry?.dep.provider.name ?? 'none';
    const model = call.alias;
    m.requests.inc({ model, provider, status: call.status });
    const u = call.usage;
    if (u) {
      if (u.promptTokens) m.tokens.inc({ model, provider, type: 'prompt' }, u.promptTokens);
      if (u.completionTokens) m.tokens.inc({ model, provider, type: 'completion' }, u.completionTokens);
      if (u.cachedTokens) m.tokens.inc({ model, provider, type: 'cached' }, u.cachedTokens);
    }
    if (call.costMicros) m.cost.inc({ model, provider }, call.costMicros / 1e6);
    if (call.firstTokenAt !== undefined)
      m.ttft.observe({ labels: { model, provider }, value: (call.firstTokenAt - call.startedAt) / 1000 });
    if (call.experiment !== undefined) {
      const labels = { experiment: call.experiment, variant: call.variant! };
      m.experimentRequests.inc({ ...labels, status: call.status });
      m.experimentLatency.observe({ labels, value: (call.endedAt! - call.startedAt) / 1000 });
      if (u) {
        m.experimentTokens.inc({ ...labels, type: 'prompt' }, u.promptTokens);
        m.experimentTokens.inc({ ...labels, type: 'completion' }, u.completionTokens);
      }
      if (call.costMicros) m.experimentCost.inc(labels, call.costMicros / 1e6);
    }
  }

  /**
   * Runs after the response was sent (or the client left): settles what is still open, then
   * publishes the record. A call the handler never ran is a cache hit or was stopped by another hook.
   */
  publish(ctx: GatewayContext, call: AiCall): void {
    if (call.published) return;
    if (!call.finished) {
      const clientGone = !ctx.res.writableFinished;
      if (call.executed && clientGone) {
        call.cancel();
        if (!call.finished)
          this.finish(call, 'cancelled', {
            httpStatus: 499,
            errorCode: 'client_closed_request',
            upstreamCalled: call.attempts > 0,
            completionText: call.relay ? () => call.relay!.translator.completionText() : undefined,
          });
      } else if (!call.executed && AiCallKey.get(ctx)?.cacheHit) {
        call.finished = true;
        call.endedAt = performance.now();
        call.usage = call.info.usage;
        call.costMicros = call.info.costMicros ?? 0;
        call.httpStatus = ctx.status;
        this.count(call);
      } else {
        this.finish(call, clientGone ? 'cancelled' : ctx.status >= 400 ? 'error' : 'success', {
          httpStatus: clientGone ? 499 : ctx.status,
          upstreamCalled: call.attempts > 0,
        });
      }
    }
    call.published = true;
    const ks = requestMeta(ctx);
    const p = call.principal;
    const u = call.usage;
    const split = call.costSplit;
    const record: UsageRecord = {
      requestId: call.uid,
      clientRequestId: call.uid !== call.requestId ? call.requestId : null,
      timestamp: usageTimestamp(call.startedAtEpoch),
      tenantId: call.tenantId,
      keyId: p?.keyId ?? null,
      userId: p?.userId ?? null,
      teamId: p?.teamId ?? null,
      apiVersion: ApiVersionKey.get(ctx) ?? null,
      endpoint: call.info.endpoint,
      model: call.alias,
      resolvedModel: call.entry?.dep.model ?? null,
      provider: call.entry?.dep.provider.name ?? null,
      deployment: call.entry?.dep.id ?? null,
      experiment: call.experiment ?? null,
      variant: call.variant ?? null,
      promptTokens: u?.promptTokens ?? 0,
      completionTokens: u?.completionTokens ?? 0,
      cachedTokens: u?.cachedTokens ?? 0,
      totalTokens: u?.totalTokens ?? 0,
      cacheWriteTokens: u?.cacheWriteTokens ?? 0,
      reasoningTokens: u?.reasoningTokens ?? 0,
      estimated: u?.estimated ?? false,
      costMicros: call.costMicros,
      priced: call.costMicros !== null,
      inputCostMicros: split ? split.input : null,
      cachedCostMicros: split ? split.cached : null,
      outputCostMicros: split ? split.output : null,
      latencyMs: Math.round(((call.endedAt ?? performance.now()) - call.startedAt) * 1000) / 1000,
      ttftMs: call.firstTokenAt !== undefined ? Math.round((call.firstTokenAt - call.startedAt) * 1000) / 1000 : null,
      status: call.status,
      httpStatus: call.httpStatus,
      errorCode: call.errorCode,
      cacheHit: call.info.cacheHit === true,
      stream: call.input.stream,
      overheadMs: overheadOf(ctx),
      traceId: ks.sampled && ks.span ? ks.span.spanContext().traceId : null,
      attempts: call.attemptLog,
      attemptCount: call.attemptTotal,
    };
    try {
      this.queue.publish(USAGE_TOPIC, record);
    } catch (err) {
      // A full publish buffer (queue backend down for long) must not fail the request: log and count.
      this.logger.error('could not enqueue a usage record', { err, request_id: call.requestId, uid: call.uid });
    }
  }
}
