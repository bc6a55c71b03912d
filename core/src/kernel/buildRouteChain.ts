import { SpanStatusCode, context as otelContext, trace, type Span, type Tracer } from '@opentelemetry/api';
import compose from 'koa-compose';
import type { Context, Next } from 'koa';
import { GatewayError } from '../errors/GatewayError';
import { readBody } from '../http/readBody';
import { refuseNulParams, validateRequest } from '../http/validate';
import type { Logger } from '../services/createLogger';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { AFTER_SEND_PHASES, type Phase } from './phases';
import type { BoundHook } from './orderHooks';
import type { GatewayMiddleware, ResponseHandler, RouteInfo } from './types';

/** Per-request flags the kernel keeps on ctx.state. */
export interface KernelState {
  /** The request id: the caller's `x-request-id` when valid, else generated. For correlation only. */
  requestId: string;
  /**
   * An id the gateway generated for this request, unique even when callers reuse an x-request-id.
   * Idempotency keys (usage records) must use this, never the caller-controlled requestId.
   */
  uid: string;
  startedAt: number;
  /** Milliseconds spent waiting on upstreams; subtracted for x-aihub-overhead-ms. */
  upstreamMs: number;
  sampled: boolean;
  span?: Span;
  route?: RouteInfo;
  afterSend?: ((ctx: Context) => void)[];
}

export function kernelState(ctx: Context): KernelState {
  return ctx.state as KernelState;
}

/** Adds time spent waiting on an upstream so the overhead header reports only the gateway's own time. */
export function recordUpstreamTime(ctx: Context, ms: number): void {
  (ctx.state as KernelState).upstreamMs += ms;
}

/** Milliseconds with exactly three decimals, as toFixed(3) writes them (~4x cheaper; never negative). */
function millis3(ms: number): string {
  const us = Math.round(Math.max(0, ms) * 1000);
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  return `${whole}${frac < 10 ? '.00' : frac < 100 ? '.0' : '.'}${frac}`;
}

/**
 * The gateway's own time on the request so far (elapsed minus upstream waits), as the value of
 * `x-aihub-overhead-ms`: the kernel sets it on every answer; a handler that sends its headers
 * itself (a stream) sets it with this when it does.
 */
export function gatewayOverheadMs(ctx: Context): string {
  const state = ctx.state as KernelState;
  return millis3(performance.now() - state.startedAt - state.upstreamMs);
}

/** Marks where an error came from once, so outer hooks don't claim an inner hook's failure. */
const attributed = new WeakSet<object>();

interface ChainDeps {
  tracer: Tracer;
  logger: Logger;
  metrics: GatewayMetrics;
  defaultBodyLimit: number;
  /** server.bodyTimeoutMs: the body must have arrived this long after the request started. */
  bodyTimeoutMs?: number;
}

/**
 * Attributes a hook's failure (sync throw or rejection) to it. Deliberately not an async function:
 * with promise hooks on (AsyncLocalStorage), every extra async frame per hook per request costs; a
 * sync try/catch plus one rejection handler on the hook's own promise does the same job. Errors that
 * only pass through a hook on their way out (another hook's, the handler's) are attributed already.
 * The closure handed to the hook as `next` costs an allocation; the promise it saves costs several
 * (with the promise hooks on, each one runs them and a microtask).
 */
function guard(bound: BoundHook, phase: Phase, deps: ChainDeps, fn: GatewayMiddleware): GatewayMiddleware {
  const onRejected = (err: unknown): never => {
    throw attribute(err, bound, phase, deps);
  };
  return (ctx, next) => {
    let result: unknown;
    let downstream: unknown;
    try {
      result = fn(ctx, () => (downstream = next()));
    } catch (err) {
      return Promise.reject(attribute(err, bound, phase, deps));
    }
    // A hook that returns what next() returned (most do: `return next()`) cannot have failed on its
    // own after that; whatever rejects it comes from downstream, attributed there. No handler, and
    // no promise of its own, then.
    if (result === downstream) return result;
    if (result instanceof Promise) return result.then(undefined, onRejected);
    // A foreign thenable still gets attributed; a plain value needs no promise (compose wraps it).
    if (isThenable(result)) return Promise.resolve(result).then(undefined, onRejected);
    return result;
  };
}

/**
 * Marks an error of the route handler as settled, so the hooks it passes through on its way out do
 * not count it as theirs (it is logged once, as the request's failure, by the outer middleware).
 */
function notAHookError(err: unknown): unknown {
  if (err && typeof err === 'object') attributed.add(err);
  return err;
}

function attribute(err: unknown, bound: BoundHook, phase: Phase, deps: ChainDeps): unknown {
  if (err && typeof err === 'object' && !attributed.has(err)) {
    attributed.add(err);
    if (!(err instanceof GatewayError) || err.status >= 500) {
      deps.metrics.hookErrors.inc({ plugin: bound.plugin, phase });
      deps.logger.error(`hook ${bound.id} (${phase}) failed`, { err, plugin: bound.plugin, phase });
    }
  }
  return err;
}

function traced(bound: BoundHook, phase: Phase, deps: ChainDeps, fn: GatewayMiddleware): GatewayMiddleware {
  const name = `${bound.plugin} ${phase}`;
  const attributes = { 'aihub.plugin': bound.plugin, 'aihub.phase': phase, 'aihub.hook': bound.id };
  return async (ctx, next) => {
    const parent = trace.setSpan(otelContext.active(), (ctx.state as KernelState).span!);
    const span = deps.tracer.startSpan(name, { attributes }, parent);
    try {
      await otelContext.with(trace.setSpan(parent, span), () => fn(ctx, next));
    } catch (err) {
      const ge = GatewayError.from(err);
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: ge.code });
      span.setAttribute('aihub.error.code', ge.code);
      throw err;
    } finally {
      span.end();
    }
  };
}

/**
 * A response-phase hook (`response.transform`, `response.meter`, `response.log`) in its own span, for
 * the traced chain only: these hooks (cache:capture, ai:stream, ai:usage, cache:store,
 * rate-limit:settle) had no spans in a kept trace. Sync hooks stay sync (no promise added).
 */
function tracedResponse(bound: BoundHook, phase: Phase, deps: ChainDeps, handle: ResponseHandler): ResponseHandler {
  const name = `${bound.plugin} ${phase}`;
  const attributes = { 'aihub.plugin': bound.plugin, 'aihub.phase': phase, 'aihub.hook': bound.id };
  const failed = (span: Span, err: unknown) => {
    const ge = GatewayError.from(err);
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: ge.code });
    span.setAttribute('aihub.error.code', ge.code);
  };
  return (ctx) => {
    const parent = trace.setSpan(otelContext.active(), (ctx.state as KernelState).span!);
    const span = deps.tracer.startSpan(name, { attributes }, parent);
    let result: unknown;
    try {
      result = otelContext.with(trace.setSpan(parent, span), () => handle(ctx));
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
    if (!isThenable(result)) {
      span.end();
      return result as void;
    }
    return Promise.resolve(result).then(
      () => span.end(),
      (err: unknown) => {
        failed(span, err);
        span.end();
        throw err;
      },
    );
  };
}

/** A hook's step in the plain chain: run by {@link plainChain}, which attributes its failures. */
type GuardedStep = GatewayMiddleware & { guarded?: { bound: BoundHook; phase: Phase } };

/**
 * koa-compose and {@link guard} in one, for the chain of unsampled requests (nearly all): the same
 * order, the same `next() called multiple times` refusal, the same attribution of a hook's own
 * failures, but one `next` closure per step where koa-compose's bound dispatch and guard's wrapper
 * made two functions and a context (a chat request passes ~8 steps).
 */
function plainChain(steps: readonly GuardedStep[], deps: ChainDeps): (ctx: Context) => Promise<unknown> {
  const n = steps.length;
  const hooks = steps.map((s) => s.guarded);
  // What each step runs: a hook's own handler (called as guard() called it, without a `this`).
  const fns = steps.map((s) => (s.guarded ? (s.guarded.bound.hook.handle as GatewayMiddleware) : s));
  const onRejected = hooks.map((h) =>
    h
      ? (err: unknown): never => {
          throw attribute(err, h.bound, h.phase, deps);
        }
      : undefined,
  );
  return (ctx) => {
    let index = -1;
    const dispatch = (i: number): Promise<unknown> => {
      if (i <= index) return Promise.reject(new Error('next() called multiple times'));
      index = i;
      if (i === n) return Promise.resolve();
      const hook = hooks[i];
      const fn = fns[i];
      if (hook === undefined) {
        try {
          return Promise.resolve(fn(ctx, () => dispatch(i + 1)));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      // As guard(): a hook that returns what next() returned cannot have failed on its own after
      // that (whatever rejects it comes from downstream, attributed there): no handler, no promise.
      let downstream: unknown;
      let result: unknown;
      try {
        result = fn(ctx, () => (downstream = dispatch(i + 1)));
      } catch (err) {
        return Promise.reject(attribute(err, hook.bound, hook.phase, deps));
      }
      if (downstream !== undefined && result === downstream) return downstream as Promise<unknown>;
      if (result instanceof Promise) return result.then(undefined, onRejected[i]);
      if (isThenable(result)) return Promise.resolve(result).then(undefined, onRejected[i]);
      return Promise.resolve(result);
    };
    return dispatch(0);
  };
}

/**
 * Composes, once at boot, the middleware chain for one route: body reading, the request hooks that
 * apply to it, the handler, then `response.transform` hooks. Two variants are built (plain and
 * traced) so an unsampled request pays nothing for per-hook spans.
 */
export function buildRouteChain(
  route: RouteInfo,
  handler: GatewayMiddleware,
  hooks: Map<Phase, BoundHook[]>,
  deps: ChainDeps,
): GatewayMiddleware {
  const applies = (b: BoundHook) => (b.hook.appliesTo ? b.hook.appliesTo(route) : route.pipeline);
  const requestHooks: { bound: BoundHook; phase: Phase }[] = [];
  const transform: { bound: BoundHook; handle: ResponseHandler }[] = [];
  const afterSend: { bound: BoundHook; phase: Phase; handle: ResponseHandler }[] = [];
  for (const [phase, list] of hooks) {
    for (const bound of list) {
      if (!applies(bound)) continue;
      if (phase === 'response.transform') transform.push({ bound, handle: bound.hook.handle as ResponseHandler });
      else if (AFTER_SEND_PHASES.includes(phase))
        afterSend.push({ bound, phase, handle: bound.hook.handle as ResponseHandler });
      else requestHooks.push({ bound, phase });
    }
  }
  const schema = route.schema;
  const hasParams = route.path.includes(':');
  const tracedTransform = transform.map((t) => ({
    bound: t.bound,
    handle: tracedResponse(t.bound, 'response.transform', deps, t.handle),
  }));
  const tracedAfterSend = afterSend.map((a) => ({ ...a, handle: tracedResponse(a.bound, a.phase, deps, a.handle) }));
  // Transforms run in order; a sync transform costs no promise (no await of a plain value).
  const runTransforms = (ctx: Context, from: number): Promise<void> | undefined => {
    const list = (ctx.state as KernelState).sampled ? tracedTransform : transform;
    for (let i = from; i < list.length; i++) {
      const t = list[i];
      let result: unknown;
      try {
        result = t.handle(ctx);
      } catch (err) {
        throw attribute(err, t.bound, 'response.transform', deps);
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => runTransforms(ctx, i + 1),
          (err: unknown) => {
            throw attribute(err, t.bound, 'response.transform', deps);
          },
        );
      }
    }
    return undefined;
  };
  // A hook of `cache.lookup` or `provider.invoke` may answer in the handler's place (a cache hit):
  // the response transforms still apply to that answer (the client cannot tell a hit from a miss by
  // a missing header). Only routes with such hooks (and transforms) pay for the check.
  const answersEarlyAt = transform.length
    ? requestHooks.findIndex(({ phase }) => phase === 'cache.lookup' || phase === 'provider.invoke')
    : -1;
  const handled = answersEarlyAt === -1 ? undefined : new WeakSet<Context>();
  const transformEarlyAnswer = (ctx: Context, next: Next): unknown => {
    const after = () => (handled!.has(ctx) ? undefined : runTransforms(ctx, 0));
    const result: unknown = next();
    return isThenable(result) ? Promise.resolve(result).then(after) : after();
  };
  // Not async: compose turns a sync throw into a rejection, and a sync handler then costs no promise.
  const terminal = (ctx: Context): unknown => {
    handled?.add(ctx);
    let result: unknown;
    try {
      // Validation runs after authentication hooks, so unauthenticated callers learn nothing from it.
      if (schema) validateRequest(ctx, schema);
      else if (hasParams) refuseNulParams(ctx);
      result = handler(ctx, noop);
    } catch (err) {
      throw notAHookError(err);
    }
    if (isThenable(result))
      return Promise.resolve(result).then(
        () => runTransforms(ctx, 0),
        (err: unknown) => {
          throw notAHookError(err);
        },
      );
    return runTransforms(ctx, 0);
  };
  const parseJson = route.body === 'json';
  const readsBody = route.body !== 'none';
  const limit = route.bodyLimit ?? deps.defaultBodyLimit;
  const timeoutMs = deps.bodyTimeoutMs ?? 0;
  // The body is read once the caller is authenticated: hooks of `request.correlate` and
  // `request.authenticate` see headers only, so a request without a valid credential is refused
  // before a byte of its body is read or buffered (and its connection closed; see createApp).
  const readBodyStep = readsBody
    ? (ctx: Context, next: Next): unknown => {
        if (ctx.method === 'GET' || ctx.method === 'HEAD') return next();
        const deadline = timeoutMs > 0 ? (ctx.state as KernelState).startedAt + timeoutMs : Infinity;
        return readBody(ctx, limit, parseJson, deadline, timeoutMs).then(() => next());
      }
    : undefined;
  const bodyAt = requestHooks.findIndex(
    ({ phase }) => phase !== 'request.correlate' && phase !== 'request.authenticate',
  );
  const assemble = (wrap: (h: { bound: BoundHook; phase: Phase }) => GatewayMiddleware) => {
    const steps: unknown[] = requestHooks.map(wrap);
    // The early-answer step goes in first (before the body step shifts the indexes): both sit in
    // front of the hooks they must precede, and the body is read before cache.lookup anyway.
    if (handled) steps.splice(answersEarlyAt, 0, transformEarlyAnswer);
    if (readBodyStep) steps.splice(bodyAt === -1 ? steps.length : bodyAt, 0, readBodyStep);
    steps.push(terminal);
    return { steps: steps as GatewayMiddleware[] };
  };
  const plain = plainChain(
    // The hook's step only marks where the hook goes; plainChain calls the hook's handler itself.
    assemble(({ bound, phase }) => Object.assign(() => undefined, { guarded: { bound, phase } })).steps,
    deps,
  );
  const withSpans = compose<Context>(
    assemble(({ bound, phase }) =>
      traced(bound, phase, deps, guard(bound, phase, deps, bound.hook.handle as GatewayMiddleware)),
    ).steps as never[],
  );
  const headerOverrides = route.headers ? Object.entries(route.headers) : undefined;

  const runAfterSend = afterSend.length
    ? (ctx: Context) => {
        for (const a of (ctx.state as KernelState).sampled ? tracedAfterSend : afterSend) {
          try {
            const r = a.handle(ctx) as unknown;
            if (r && typeof (r as Promise<void>).catch === 'function')
              (r as Promise<void>).catch((err) => attribute(err, a.bound, a.phase, deps));
          } catch (err) {
            attribute(err, a.bound, a.phase, deps);
          }
        }
      }
    : undefined;

  // Not async (the router's compose catches a sync throw): one promise fewer per request.
  return (ctx: Context, _next: Next) => {
    const state = ctx.state as KernelState;
    state.route = route;
    if (runAfterSend) (state.afterSend ??= []).push(runAfterSend);
    if (headerOverrides) {
      // The route's own response headers (RouteOptions.headers) replace the edge defaults.
      const res = ctx.res;
      for (const [k, v] of headerOverrides) {
        if (v === null) res.removeHeader(k);
        else res.setHeader(k, v);
      }
    }
    return (state.sampled ? withSpans : plain)(ctx);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

const noop = async () => {};
