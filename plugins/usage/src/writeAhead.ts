import {
  AiCallKey,
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
 * queue, until it is committed. A write the backend refuses after the hand-off is counted and
 * logged (`onLateFailure`); the request's final record, published after the call, still bills it.
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
    private readonly onLateFailure: (err: unknown) => void,
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
      if (handedOff) this.onLateFailure(err);
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
        if (handedOff) this.onLateFailure(err);
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
 * `provider.invoke` on AI routes (after the cache, right before the ai plugin's handler calls the
 * upstream): writes a pending usage record with the request's id and waits until it is durable.
 * The ai plugin's final record (same request id) replaces it; if the process dies first, the
 * consumer bills the request from it (INTERRUPTED_CODE). Skipped when no AI call was prepared.
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
      const failed = (err: unknown): unknown => {
        metrics.writeAheadFailures.inc();
        if (cfg.onFailure === 'reject') {
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
      batcher ??= new Batcher(ctx, (err) => {
        metrics.writeAheadFailures.inc();
        ctx.logger.warn(
          'a pending usage record the queue had taken was refused; the final record still bills the request',
          { err },
        );
      });
      let served: Promise<unknown>;
      try {
        const record = pendingRecord(c, info);
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
