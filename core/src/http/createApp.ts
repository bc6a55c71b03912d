import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  propagation,
  trace,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Koa, { type Context } from 'koa';
import { GatewayError } from '../errors/GatewayError';
import { renderError } from '../errors/render';
import { gatewayOverheadMs, type KernelState } from '../kernel/buildRouteChain';
import type { Logger } from '../services/createLogger';
import { runInRequest, type RequestInfo } from '../services/requestContext';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { HEAD_SAMPLED } from '../telemetry/KernelTracer';
import { allowedMethods } from './allowedMethods';
import { requestIdFrom } from './requestId';
import type { EdgeHeaders } from './securityHeaders';
import { callStatic, type StaticRoute } from './staticRoutes';
import { redactedPath } from './spanPath';
import { CoreErrors } from '../errors/coreErrors';

export interface AppDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  tracer: Tracer;
  tracingEnabled: boolean;
  /** Share of new traces kept (parent-based: a caller's decision always wins). */
  sampleRatio: number;
  tenantLabels: boolean;
  trustProxy: boolean;
  /** True once shutdown began: responses ask clients to close keep-alive connections. */
  isDraining: () => boolean;
  /** Parameterless routes by `METHOD path`, answered without the router (see staticRouteTable). */
  staticRoutes?: Map<string, StaticRoute>;
  /** Security and CORS headers (server.hsts, server.cors); every response gets them. */
  edge?: EdgeHeaders;
  /**
   * Connections over `server.maxConnectionsPerIp` (marked by the kernel's connection listener): their
   * requests get 503 and the connection is closed.
   */
  overConnectionLimit?: (req: IncomingMessage) => boolean;
  /**
   * `logging.access`: one JSON line per request at info, after the response is sent (method, route
   * pattern, status, duration, request id, tenant). The route pattern, never the path or query: paths
   * and query strings may carry tokens (invitation links, OAuth callbacks).
   */
  accessLog?: boolean;
}

/**
 * Bodies up to this size that nobody read are drained so the keep-alive connection stays usable;
 * larger or chunked ones close the connection instead (a refused upload is never read to its end).
 */
const DRAIN_LIMIT = 64 * 1024;

/**
 * After an error answer: when the request body was not read (refused before the body phase: a bad
 * credential, 413 on Content-Length, the body deadline), the connection closes after the response
 * instead of Node reading and discarding the rest of a large upload.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || res.headersSent) return;
  const length = req.headers['content-length'];
  if (
    length === undefined
      ? req.headers['transfer-encoding'] !== undefined
      : Number(length) > DRAIN_LIMIT || !(Number(length) >= 0)
  ) {
    res.setHeader('connection', 'close');
    lingerOnClose(req.socket);
  }
}

/** How long a closing connection still reads (and discards) what the client is sending. */
const LINGER_MS = 2000;

/**
 * Node ends a `Connection: close` response with socket.destroySoon(): FIN, then destroy. With upload
 * bytes still unread, the kernel answers them with a reset, and a client still sending may lose the
 * error answer it was already sent. Lingering close instead (as web servers do): FIN after the
 * answer, keep discarding what arrives, destroy when the client closes or after LINGER_MS.
 */
function lingerOnClose(socket: IncomingMessage['socket']): void {
  const s = socket as IncomingMessage['socket'] & { destroySoon?: () => void };
  if (typeof s.destroySoon !== 'function') return;
  s.destroySoon = () => {
    s.end();
    const timer = setTimeout(() => s.destroy(), LINGER_MS);
    timer.unref();
    s.once('close', () => clearTimeout(timer));
    // The request stream was dumped by Node after the answer; the bytes are read and dropped.
    s.resume();
  };
}

const ids = new RandomIdGenerator();

/**
 * The span context of a new trace the ratio dropped (most requests). Its ids are only generated
 * when something reads them (a log line, an upstream's traceparent, a child span): many requests
 * never do, and two random hex ids per request are measurable on the kernel's path.
 */
class UnsampledSpanContext implements SpanContext {
  readonly traceFlags = TraceFlags.NONE;
  private t: string | undefined = undefined;
  private s: string | undefined = undefined;

  get traceId(): string {
    return (this.t ??= ids.generateTraceId());
  }

  get spanId(): string {
    return (this.s ??= ids.generateSpanId());
  }
}

/** The request as logs see it; trace ids read through to the span context (see UnsampledSpanContext). */
class KernelRequestInfo implements RequestInfo {
  tenantId?: string = undefined;

  constructor(
    readonly requestId: string,
    private readonly sc: SpanContext | undefined,
  ) {}

  get traceId(): string | undefined {
    return this.sc?.traceId;
  }

  get spanId(): string | undefined {
    return this.sc?.spanId;
  }
}

/**
 * Attributes of a recorded server span (only built for requests whose trace is kept). `url.path`
 * and `http.route` are added when the response closes, once the route is known (see spanPath.ts):
 * the raw path may hold a credential.
 */
function serverAttributes(ctx: Context, requestId: string): Record<string, string> {
  return { 'http.request.method': ctx.method, 'aihub.request_id': requestId };
}

const headerGetter = {
  keys: (carrier: Context['headers']) => Object.keys(carrier),
  get: (carrier: Context['headers'], key: string) => carrier[key],
};

/**
 * Koa resolves `ctx.type` (and the type a JSON or Buffer body implies) through mime-types on every
 * response, ~1 µs each on this machine; the values come from a handful of call sites, so the
 * resolution is remembered per input (bounded, in case a handler passes through foreign types).
 */
function rememberContentTypes(app: Koa): void {
  const proto = Object.getPrototypeOf(app.response) as object;
  const original = Object.getOwnPropertyDescriptor(proto, 'type');
  if (!original?.set || !original.get) return;
  const resolved = new Map<string, string | undefined>();
  Object.defineProperty(app.response, 'type', {
    configurable: true,
    enumerable: original.enumerable,
    get: original.get,
    set(this: Koa.Response, type: string) {
      const known = resolved.get(type);
      if (known !== undefined) {
        this.set('Content-Type', known);
        return;
      }
      original.set!.call(this, type);
      const header = this.res.getHeader('content-type');
      if (typeof header === 'string' && resolved.size < 64) resolved.set(type, header);
    },
  });
}

/**
 * The Koa application: one outer middleware owns correlation (request id, trace context, log
 * context), error rendering, the overhead header and HTTP metrics; the router dispatches to the
 * per-route chains built at boot.
 */
export function createApp(router: Router, deps: AppDeps): Koa {
  const app = new Koa({ proxy: deps.trustProxy });
  const { metrics, logger, tracer } = deps;
  // METHOD → path → route: two lookups on strings the parser and URL already hold, instead of
  // building a `METHOD path` key per request.
  const statics = new Map<string, Map<string, StaticRoute>>();
  for (const [key, route] of deps.staticRoutes ?? []) {
    const space = key.indexOf(' ');
    const method = key.slice(0, space);
    let paths = statics.get(method);
    if (!paths) statics.set(method, (paths = new Map()));
    paths.set(key.slice(space + 1), route);
  }
  app.silent = true;
  rememberContentTypes(app);
  app.on('error', (err: Error) => {
    // Errors after the response started (e.g. a stream that broke); the request is already answered.
    logger.warn('response stream error', { err });
  });

  // Not async: with promise hooks on (AsyncLocalStorage) an async frame plus its await cost more
  // than one then() on the chain's promise; the flow is the same (errors rendered, then the header).
  app.use(function aihubGateway(ctx, next) {
    const startedAt = performance.now();
    // The raw request and response where Koa's delegating getters would only forward to them.
    const req = ctx.req;
    const res = ctx.res;
    const method = req.method!;
    const callerId = req.headers['x-request-id'];
    const requestId = requestIdFrom(callerId);
    const state = ctx.state as KernelState;
    state.requestId = requestId;
    // A caller may send the same x-request-id twice; the gateway's own id must stay unique.
    state.uid = requestId === callerId ? randomUUID() : requestId;
    state.startedAt = startedAt;
    state.upstreamMs = 0;
    state.sampled = false;
    // res.setHeader directly: Koa's ctx.set re-validates and normalises on every call.
    res.setHeader('x-request-id', requestId);
    if (deps.isDraining()) res.setHeader('connection', 'close');
    if (deps.edge?.apply(req, res, ctx.path)) {
      // A CORS preflight, answered by the edge (no route, no credentials involved).
      ctx.respond = false;
      return Promise.resolve();
    }
    metrics.inFlight.value++;

    let span: Span | undefined;
    let sc: SpanContext | undefined;
    // A request starts a flow of its own: nothing is active yet (no context manager lookup needed).
    let parentCtx = ROOT_CONTEXT;
    if (deps.tracingEnabled) {
      const h = req.headers;
      if (h.traceparent !== undefined || h['uber-trace-id'] !== undefined) {
        // Continue the caller's trace; the parent-based sampler follows the caller's decision.
        parentCtx = propagation.extract(parentCtx, h, headerGetter);
        span = tracer.startSpan(
          method,
          { kind: SpanKind.SERVER, attributes: serverAttributes(ctx, requestId) },
          parentCtx,
        );
      } else if (Math.random() < deps.sampleRatio) {
        // Kept by the kernel's own dice: recorded without asking a sampler again (see HEAD_SAMPLED).
        span = tracer.startSpan(
          method,
          { kind: SpanKind.SERVER, attributes: { ...serverAttributes(ctx, requestId), [HEAD_SAMPLED]: true } },
          parentCtx,
        );
      } else {
        // A new trace the ratio drops (most requests): the SDK would only roll the same dice and
        // wrap fresh ids in a non-recording span, so the kernel does that directly. The span still
        // carries a valid, unsampled context, so child spans and upstream calls stay unsampled.
        span = trace.wrapSpanContext(new UnsampledSpanContext());
      }
      sc = span.spanContext();
      state.sampled = span.isRecording();
      state.span = span;
      if (state.sampled) res.setHeader('traceparent', `00-${sc.traceId}-${sc.spanId}-01`);
    }

    // 'close' fires once per response; on() skips once()'s wrapper and listener removal.
    res.on('close', () => {
      metrics.inFlight.value--;
      const seconds = (performance.now() - startedAt) / 1000;
      const route = (ctx as Context & { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const status = res.writableFinished ? res.statusCode : 499;
      const tenant = deps.tenantLabels ? ((ctx.state as { tenantId?: string }).tenantId ?? 'none') : undefined;
      metrics.requests.record(
        method,
        route,
        status,
        tenant,
        seconds,
        Math.max(0, seconds - state.upstreamMs / 1000),
        state.sampled ? sc!.traceId : undefined,
      );
      if (span) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (state.sampled) {
          span.setAttribute('url.path', redactedPath(ctx.path, route === 'unmatched' ? undefined : route));
          if (route !== 'unmatched') span.setAttribute('http.route', route);
        }
        if (route !== 'unmatched') span.updateName(`${method} ${route}`);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      if (state.afterSend) for (const run of state.afterSend) run(ctx);
      if (deps.accessLog) {
        logger.info('request', {
          method,
          route,
          status,
          duration_ms: Math.round(seconds * 10_000) / 10,
          request_id: requestId,
          tenant_id: (ctx.state as { tenantId?: string }).tenantId ?? null,
          trace_id: state.sampled ? sc!.traceId : undefined,
        });
      }
    });

    const overhead = (): void => {
      if (!res.headersSent) res.setHeader('x-aihub-overhead-ms', gatewayOverheadMs(ctx));
    };
    const failed = (err: unknown): void => {
      const ge = GatewayError.from(err);
      if (ge.status >= 500) {
        logger.error(`request failed: ${ge.code}`, {
          err: ge.cause ?? ge,
          request_id: requestId,
          method,
          path: ctx.path,
          trace_id: sc?.traceId,
        });
        span?.recordException((ge.cause as Error) ?? ge);
      }
      span?.setAttribute('aihub.error.code', ge.code);
      if (ctx.headerSent) {
        // A streaming response already started: nothing can be rendered; end it.
        res.destroy();
        return;
      }
      closeIfBodyUnread(req, res);
      renderError(ctx, ge, requestId);
      overhead();
    };
    const answered = (): void => {
      // A mounted sub-application (the OAuth server) answered on the raw response itself.
      if (ctx.respond === false) return;
      if (ctx.status === 404 && ctx.body == null) {
        failed(
          CoreErrors.create(
            'route_not_found',
            `No route for ${ctx.method} ${ctx.path}; check the URL (the OpenAI-compatible API is under /v1).`,
          ),
        );
        return;
      }
      overhead();
    };
    if (deps.overConnectionLimit?.(req)) {
      res.setHeader('connection', 'close');
      // 429, not 503: the client is over its share, the gateway is fine (no error log, no 5xx series).
      failed(
        CoreErrors.create(
          'too_many_connections',
          'Too many open connections from your address; close idle ones or reuse fewer keep-alive connections, then retry.',
          { headers: { 'retry-after': '1' } },
        ),
      );
      return Promise.resolve();
    }
    const info = new KernelRequestInfo(requestId, sc);
    const hit = statics.get(method)?.get(ctx.path);
    let dispatch: () => unknown = next;
    if (hit) {
      // What the router would have set for a parameterless route.
      const c = ctx as Context & { params: Record<string, string>; _matchedRoute: string; routerPath: string };
      c.params = {};
      c._matchedRoute = hit.pattern;
      c.routerPath = hit.pattern;
      dispatch = () => callStatic(hit, ctx);
    }
    let done: Promise<unknown>;
    try {
      // The chain may answer synchronously (a plain value); then() needs a promise either way.
      // The request's OpenTelemetry context is built when first asked for (see runInRequest).
      const active = span;
      done = Promise.resolve(runInRequest(info, active ? () => trace.setSpan(parentCtx, active) : undefined, dispatch));
    } catch (err) {
      failed(err);
      return Promise.resolve();
    }
    return done.then(answered, failed);
  });

  app.use(router.routes());
  app.use(allowedMethods());
  return app;
}
