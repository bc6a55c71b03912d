import {
  AiCallKey,
  ApiVersionKey,
  PrincipalKey,
  TenantKey,
  USAGE_TOPIC,
  type AiCallInfo,
  type GatewayContext,
  type HookDefinition,
  type PluginContext,
} from '@aihub/core/plugin-api';
import { requestMeta } from '@aihub/core/plugin-api';
import type { UsageConfig } from './config';
import type { UsageMetrics } from './metrics';
import { UsageErrors } from './errors';

/** AI routes that call an upstream (not /v1/models or /v1/feedback). */
export function isInvokeRoute(route: { method: string; path: string; tags: string[]; pipeline: boolean }): boolean {
  return (
    route.pipeline &&
    route.tags.includes('ai') &&
    route.method === 'POST' &&
    /(completions|embeddings|responses|messages)$/.test(route.path)
  );
}

/** Characters of text in a message's content (a string, parts with `text`, or nested content). */
function textLength(v: unknown): number {
  if (typeof v === 'string') return v.length;
  let chars = 0;
  if (Array.isArray(v)) for (const x of v) chars += textLength(x);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.text === 'string') chars += o.text.length;
    else if (o.content !== undefined) chars += textLength(o.content);
  }
  return chars;
}

/**
 * A rough prompt size for the pending record (characters / 4 + framing): it is marked estimated.
 * Module-level helpers rather than a closure: this runs on every AI call.
 */
function estimatePrompt(body: unknown): number {
  if (!body || typeof body !== 'object') return 0;
  const b = body as { messages?: unknown; input?: unknown };
  let chars = 0;
  let framing = 0;
  if (Array.isArray(b.messages)) {
    for (const m of b.messages) {
      framing += 4;
      chars += textLength((m as { content?: unknown })?.content);
    }
  }
  if (b.input !== undefined) chars += textLength(b.input);
  return Math.ceil(chars / 4) + framing;
}

/**
 * Group commit: pending records of requests arriving in the same event-loop turn are written in one
 * pipelined queue write. Each request waits until that write has left the process
 * (`publishHandedOff`): on Redis, as soon as the kernel holds it, with no round trip; on a database
 * queue, until it is committed. A write the backend refuses after the hand-off is counted, once per
 * record it held, and logged (`onLateFailure`); the request's final record, published after the
 * call, still bills it.
 *
 * When no other AI call is in flight (`idle`), the record is published at once instead of after a
 * `setImmediate` turn: nothing else is likely to join the batch, and waiting would only add the
 * turn (and everything else queued in it) to the request's latency. Under concurrency other calls
 * are in flight and records keep being grouped per turn.
 */
class Batcher {
  private batch: Record<string, unknown>[] = [];
  /**
   * This turn's hand-off, shared by every record in the batch (each caller chains its own next()
   * on it): no Promise, executor closure or waiter object per request, which at 50 connections is
   * every call. Undefined while no write is scheduled.
   */
  private handOff: Promise<void> | undefined;
  private settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  private readonly onTurn = (): void => this.flush();

  constructor(
    private readonly ctx: PluginContext,
    /** `records`: how many pending records the refused write held (the metric counts records). */
    private readonly onLateFailure: (err: unknown, records: number) => void,
  ) {}

  /** Queues `record` for this turn's write; the promise settles when that write is handed off. */
  add(record: Record<string, unknown>): Promise<void> {
    this.batch.push(record);
    if (this.handOff !== undefined) return this.handOff;
    const handOff = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.handOff = handOff;
    setImmediate(this.onTurn);
    return handOff;
  }

  /**
   * Publishes `record` alone, now (no other call in flight, nothing queued), then runs `next` once
   * it is handed off, or `failed` if it could not be. The batch path's promise, waiter and arrays are
   * left out: this is every call at low concurrency. Throws synchronously as publishHandedOff does.
   */
  sendAlone(
    record: Record<string, unknown>,
    next: () => Promise<unknown>,
    failed: (err: unknown) => unknown,
  ): Promise<unknown> {
    const hand = this.ctx.queue.publishHandedOff(USAGE_TOPIC, [record]);
    let handedOff = false;
    hand.durable.catch((err: unknown) => {
      // Before the hand-off `failed` gets the error; after it, only this.
      if (handedOff) this.onLateFailure(err, 1);
    });
    return hand.handedOff.then(() => {
      handedOff = true;
      return next();
    }, failed);
  }

  /** True while records wait for this turn's write (a call alone must not overtake them). */
  get waiting(): boolean {
    return this.handOff !== undefined;
  }

  private flush(): void {
    const batch = this.batch;
    const settle = this.settle!;
    this.batch = [];
    this.handOff = undefined;
    this.settle = undefined;
    let handedOff = false;
    try {
      const hand = this.ctx.queue.publishHandedOff(USAGE_TOPIC, batch);
      hand.handedOff.then(
        () => {
          handedOff = true;
          settle.resolve();
        },
        (err: unknown) => settle.reject(err),
      );
      hand.durable.catch((err: unknown) => {
        // Before the hand-off the callers get the error (through the shared promise); after it, only this.
        if (handedOff) this.onLateFailure(err, batch.length);
      });
    } catch (err) {
      settle.reject(err);
    }
  }
}

/**
 * The write-ahead record: only what bills the request if its final record never comes. Fields that
 * would be null, zero or false are left out (parseRecord reads an absent field as exactly that): the
 * record is serialized, written to the queue and parsed once per request, so its size is paid three
 * times on the request path's CPU.
 */
function pendingRecord(c: GatewayContext, info: AiCallInfo): Record<string, unknown> {
  const ks = requestMeta(c);
  const principal = PrincipalKey.get(c);
  const tenant = TenantKey.get(c);
  const prompt = estimatePrompt(c.request.body);
  return {
    // The id the ai plugin's final record will carry: AiCallInfo.requestId when it provides one
    // (requested contract field, a gateway-generated unique id), else the kernel's request id.
    requestId: (info as AiCallInfo & { requestId?: string }).requestId ?? ks.requestId,
    // Epoch ms, not an ISO string: no Date to build and format per call (parseRecord takes both).
    timestamp: Math.trunc(Date.now() - (performance.now() - ks.startedAt)),
    tenantId: tenant?.id ?? principal?.tenantId ?? undefined,
    keyId: principal?.keyId ?? undefined,
    userId: principal?.userId ?? undefined,
    teamId: principal?.teamId ?? undefined,
    endpoint: info.endpoint,
    model: info.model,
    resolvedModel: info.resolvedModel ?? undefined,
    provider: info.provider ?? undefined,
    deployment: info.deployment ?? undefined,
    experiment: info.experiment ?? undefined,
    variant: info.variant ?? undefined,
    // totalTokens (= promptTokens without completion tokens) and `estimated` (every pending record
    // is) are implied: parseRecord fills them in.
    promptTokens: prompt,
    // Unpriced (no costMicros): the price is the ai plugin's to know, and a request billed from this
    // record stays flagged as unpriced, never silently priced at zero.
    status: 'pending',
    stream: info.stream || undefined,
  };
}

/**
 * The final record of a request this hook refused (503 `metering_unavailable`, writeAhead.onFailure:
 * reject): not served, nothing billed. Same request id and time as its pending record; the shape of a
 * refusal (status error, no provider, no attempt, 0 tokens, a cost of 0, see records.isRefusal): it
 * counts as a request and an error and stays out of invoices.
 *
 * Why it is needed: a pending write that failed the hand-off may still reach the queue afterwards. On
 * Redis, ioredis' commandTimeout (1 s) only rejects the command's promise: the command stays in the
 * socket buffer behind a stalled Redis, or in the offline queue (connecting, Redis loading its data),
 * or in the queue of commands resent after a reconnect, and is still sent and run once the connection
 * moves again (ioredis 5 Command.setTimeout, event_handler readyHandler). Reproduced with a TCP proxy
 * that stalls Redis (test/writeAheadFailures.test.ts): the pending record lands after the 503. The
 * ai plugin's final record of the refused call bills nothing too, but it goes through the buffered
 * publish, written up to flushIntervalMs later or, while Redis is away, kept in memory: a gateway
 * stopped in between loses it, and the request was billed as interrupted from the pending record.
 */
function refusedRecord(c: GatewayContext, pending: Record<string, unknown>): Record<string, unknown> {
  const ks = requestMeta(c);
  const elapsed = Math.round((performance.now() - ks.startedAt) * 1000) / 1000;
  return {
    requestId: pending.requestId,
    timestamp: pending.timestamp,
    tenantId: pending.tenantId,
    keyId: pending.keyId,
    userId: pending.userId,
    teamId: pending.teamId,
    apiVersion: ApiVersionKey.get(c) ?? undefined,
    endpoint: pending.endpoint,
    model: pending.model,
    experiment: pending.experiment,
    variant: pending.variant,
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    costMicros: 0,
    priced: true,
    latencyMs: elapsed,
    status: 'error',
    httpStatus: 503,
    errorCode: 'metering_unavailable',
    stream: pending.stream,
    // No upstream was waited on: all of it was the gateway's own time.
    overheadMs: elapsed,
    traceId: ks.sampled && ks.span ? ks.span.spanContext().traceId : undefined,
    attempts: [],
    attemptCount: 0,
  };
}

/**
 * Publishes the final record of a refused request right behind its pending record, on the same
 * connection (the pending write is already queued there, so Redis runs them in that order; a late
 * pending record then finds its final and is dropped). Not awaited: the 503 does not wait for it.
 * Written at once rather than through the buffered publish, so it is in the same socket buffer (or
 * offline queue) as the pending record before the 503 is sent, not ~flushIntervalMs later; the ai
 * plugin's own final record of the call comes through the buffer and is then a duplicate (dropped,
 * counted in usage_duplicates_dropped_total). If this write is refused (e.g. ioredis flushed its
 * queue while the pending record waited to be resent after a reconnect) it goes through the
 * buffered publish, which retries until the queue takes it: a duplicate at worst.
 */
function publishRefused(ctx: PluginContext<UsageConfig>, c: GatewayContext, pending: Record<string, unknown>): void {
  try {
    const record = refusedRecord(c, pending);
    const retry = (): void => {
      try {
        ctx.queue.publish(USAGE_TOPIC, record);
      } catch (err) {
        ctx.logger.error('could not enqueue the usage record of a request refused for metering', {
          err,
          request_id: record.requestId,
        });
      }
    };
    ctx.queue.publishNow(USAGE_TOPIC, [record]).catch(retry);
  } catch (err) {
    ctx.logger.error('could not write the usage record of a request refused for metering', {
      err,
      request_id: pending.requestId,
    });
  }
}

/**
 * `provider.invoke` on AI routes (after the cache, right before the ai plugin's handler calls the
 * upstream): writes a pending usage record with the request's id and waits until it is durable.
 * The ai plugin's final record (same request id) replaces it; if the process dies first, the
 * consumer bills the request from it (INTERRUPTED_CODE). Skipped when no AI call was prepared.
 * A request refused because the record could not be handed off (onFailure: reject) gets a final
 * record that bills nothing (publishRefused); one served anyway (onFailure: continue) is billed by
 * the ai plugin's final record, which replaces the pending record whenever that lands.
 */
export function writeAheadHook(ctx: PluginContext<UsageConfig>, metrics: UsageMetrics): HookDefinition {
  const cfg = ctx.config.writeAhead;
  let batcher: Batcher | undefined;
  // AI calls past this hook whose upstream call has not settled: 0 means this request is alone.
  let inFlight = 0;
  const done = (): void => {
    inFlight--;
  };
  return {
    name: 'write-ahead',
    phase: 'provider.invoke',
    order: -1000,
    appliesTo: (route) => cfg.enabled && isInvokeRoute(route),
    // Not async (promise chain instead): every promise on the request path pays the promise hooks.
    handle(c, next) {
      const info = AiCallKey.get(c);
      if (!info || info.cacheHit) return next();
      let record: Record<string, unknown> | undefined;
      const failed = (err: unknown): unknown => {
        metrics.writeAheadFailures.inc();
        if (cfg.onFailure === 'reject') {
          // The pending record may still land later: follow it with a final record that bills nothing.
          if (record !== undefined) publishRefused(ctx, c, record);
          throw UsageErrors.create('metering_unavailable', 'Usage metering is unavailable right now; retry shortly.', {
            cause: err,
            headers: { 'retry-after': '1' },
          });
        }
        ctx.logger.warn('could not write the pending usage record; serving anyway (writeAhead.onFailure: continue)', {
          err,
        });
        return next();
      };
      batcher ??= new Batcher(ctx, (err, records) => {
        metrics.writeAheadFailures.inc(records);
        ctx.logger.warn(
          'a pending usage record the queue had taken was refused; the final record still bills the request',
          { err, records },
        );
      });
      let served: Promise<unknown>;
      try {
        record = pendingRecord(c, info);
        // next() runs outside the failure handler: a downstream error is not a metering failure.
        if (inFlight === 0 && !batcher.waiting) served = batcher.sendAlone(record, next, failed);
        else served = batcher.add(record).then(() => next(), failed);
      } catch (err) {
        return Promise.resolve().then(() => failed(err));
      }
      inFlight++;
      served.then(done, done);
      return served;
    },
  };
}
