import type { Span } from '@opentelemetry/api';
import type { Context } from 'koa';
import type { KernelState } from './buildRouteChain';

/**
 * What a plugin may read about the request the kernel is serving. A read-only view of the kernel's
 * own per-request state, so plugins never reach into (or write) the host's internals.
 */
export interface RequestMeta {
  /** The request id: the caller's `x-request-id` when valid, else generated. For correlation only. */
  readonly requestId: string;
  /**
   * An id the gateway generated for this request, unique even when callers reuse an x-request-id.
   * Idempotency keys (usage records) must use this, never the caller-controlled `requestId`.
   */
  readonly uid: string;
  /** When the kernel took the request, on the `performance.now()` clock. */
  readonly startedAt: number;
  /** Whether this request's trace is kept (sampled); `span` is its server span then. */
  readonly sampled: boolean;
  /** The request's server span, when tracing is on; read its ids, don't end it (the kernel does). */
  readonly span?: Span;
}

/**
 * The kernel's facts about the request on `ctx` (ids, start time, trace). Costs nothing: it is the
 * kernel's state object, typed read-only.
 */
export function requestMeta(ctx: Context): RequestMeta {
  return ctx.state as KernelState;
}
