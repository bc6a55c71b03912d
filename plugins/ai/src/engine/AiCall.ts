import {
  MAX_RECORDED_ATTEMPTS,
  type AiCallInfo,
  type AiUsage,
  type AttemptRecord,
  type Principal,
} from '@aihub/core/plugin-api';
import type { Span } from '@opentelemetry/api';
import type { ModelRoute, RouteEntry } from '../routing/catalog';
import type { CallInput } from '../types';
import type { AttemptSignal } from './AttemptSignal';
import type { StreamRelay } from './StreamRelay';

export type CallStatus = 'success' | 'error' | 'cancelled';

/**
 * Everything the ai plugin knows about one request, from the transform hook (validated body, route,
 * variant) through the attempts to the usage record. `info` is the object shared with other plugins
 * under AiCallKey and is updated in place as facts become known.
 */
export class AiCall {
  /** The handler ran (false for a cache hit or a request stopped by another hook). */
  executed = false;
  /** The deployment currently tried, then the one that answered. */
  entry: RouteEntry | undefined;
  attempts = 0;
  /** The attempts and breaker skips so far, for the usage record (the first MAX_RECORDED_ATTEMPTS). */
  readonly attemptLog: AttemptRecord[] = [];
  /** Every attempt and skip, including those past the cap. */
  attemptTotal = 0;
  /** Aborts the attempt in flight (client gone, timeout). */
  attemptAbort: AttemptSignal | undefined;
  relay: StreamRelay | undefined;
  span: Span | undefined;
  /** Wakes a backoff sleep early when the client leaves. */
  wake: (() => void) | undefined;

  cancelled = false;
  finished = false;
  published = false;
  status: CallStatus = 'success';
  httpStatus = 200;
  errorCode: string | null = null;
  usage: AiUsage | undefined;
  costMicros: number | null = null;
  /** The cost by token type (micro-dollars), when priced; they add up to costMicros. */
  costSplit: { input: number; cached: number; output: number } | undefined;
  priced = true;
  /** performance.now() of the first content token (streams). */
  firstTokenAt: number | undefined;
  /** performance.now() when the call settled. */
  endedAt: number | undefined;

  constructor(
    readonly input: CallInput,
    readonly alias: string,
    readonly route: ModelRoute,
    readonly info: AiCallInfo,
    readonly principal: Principal | undefined,
    readonly tenantId: string | null,
    /** The x-request-id the client sees (its own when it sent one): feedback refers to it. */
    readonly requestId: string,
    /** The gateway's unique id of the request (kernel uid): the usage record's idempotency key. */
    readonly uid: string,
    /** performance.now() when the gateway received the request. */
    readonly startedAt: number,
    /** Epoch ms of the start, for the record's timestamp. */
    readonly startedAtEpoch: number,
    readonly experiment: string | undefined,
    readonly variant: string | undefined,
  ) {}

  /** Notes one attempt or breaker skip (bounded: a request that retried a lot keeps the first ones). */
  logAttempt(a: AttemptRecord): void {
    this.attemptTotal++;
    if (this.attemptLog.length < MAX_RECORDED_ATTEMPTS) this.attemptLog.push(a);
  }

  /** The client went away: stop whatever is in flight. Idempotent. */
  cancel(): void {
    if (this.cancelled || this.finished) return;
    this.cancelled = true;
    this.attemptAbort?.abort();
    this.wake?.();
    this.relay?.cancel();
  }
}
