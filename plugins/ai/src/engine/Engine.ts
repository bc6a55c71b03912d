import {
  GatewayError,
  recordUpstreamTime,
  redactAddresses,
  redactProviderText,
  type AttemptRecord,
  type GatewayContext,
} from '@aihub/core/plugin-api';
import type { Logger } from '@aihub/core/plugin-api';
import type { Tracer } from '@opentelemetry/api';
import type { AiConfig } from '../config';
import type { AiMetrics } from '../metrics';
import type { RouteEntry } from '../routing/catalog';
import { plan, soonestRetryMs } from '../routing/select';
import { readWhole } from '../providers/buffered';
import { endProviderSpan, startProviderSpan, traceHeaders } from '../tracing';
import type { BodyLimits, ParsedAnswer, ProviderAdapter, UpstreamResponse } from '../types';
import type { AiCall } from './AiCall';
import { StreamEventError, UpstreamError, retryAfterMs, scrub, toClientError } from './errors';
import { AttemptSignal } from './AttemptSignal';
import { StreamRelay, type RelayEnd } from './StreamRelay';
import { AiErrors } from '../errors';
import type { MissingKey } from '../providerKeys';

export type Outcome =
  { kind: 'json'; answer: ParsedAnswer; entry: RouteEntry } | { kind: 'stream'; relay: StreamRelay; entry: RouteEntry };

/** Called once per stream when it ends (the usage of a stream is known only then). */
export type StreamSettled = (call: AiCall, end: RelayEnd) => void;

const BODY_LIMITS: BodyLimits = { answer: 64 * 1024 * 1024, error: 64 * 1024 };

function backoff(attempt: number, base: number, max: number): number {
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  // "Equal jitter": at least half the exponential delay, so retries spread without collapsing to zero.
  return exp / 2 + Math.random() * (exp / 2);
}

function errorCodeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

function attemptOf(
  entry: RouteEntry,
  outcome: AttemptRecord['outcome'],
  status: number | null,
  code: string | null,
  next: AttemptRecord['next'],
  ms: number,
): AttemptRecord {
  return {
    deployment: entry.dep.id,
    provider: entry.dep.provider.name,
    model: entry.dep.model,
    outcome,
    status,
    code,
    next,
    latencyMs: Math.round(ms * 1000) / 1000,
  };
}

function failedAttempt(entry: RouteEntry, err: UpstreamError, next: AttemptRecord['next'], ms: number): AttemptRecord {
  const outcome =
    err.kind === 'timeout' || err.kind === 'breaker_open' || err.kind === 'cancelled' ? err.kind : 'error';
  // The provider's own error code when it sent one (bounded: it is stored), else what failed.
  const code = (typeof err.body?.code === 'string' && err.body.code ? err.body.code : err.kind).slice(0, 64);
  return attemptOf(entry, outcome, err.status ?? null, code, next, ms);
}

/**
 * 503 naming the keyless providers. Not the variable to set: the caller may be any tenant's
 * application, and the operator's environment is not theirs to read; the start log, readiness
 * detail and `aihub config validate` name it for the operator.
 */
function notConfigured(alias: string, keyless: readonly MissingKey[]) {
  const providers = [...new Set(keyless.map((m) => `"${m.provider}"`))];
  return AiErrors.create(
    'provider_not_configured',
    `Model "${alias}" cannot be served: provider ${providers.join(', ')} ${providers.length > 1 ? 'have' : 'has'} no API key configured on this gateway; its operator must set one (the gateway's start log and readiness detail name the setting).`,
  );
}

/**
 * Routing, retries, fallbacks and breakers for one request. Tries the planned deployments in order;
 * on each, retries 429/5xx/timeouts/connection errors with exponential backoff and jitter (or the
 * provider's Retry-After when it is short enough), then falls back to the next deployment. Every
 * decision happens before the first byte reaches the client: a stream is handed over only once its
 * first event has arrived.
 */
export class Engine {
  constructor(
    private readonly config: AiConfig,
    private readonly metrics: AiMetrics,
    private readonly tracer: Tracer,
    private readonly logger: Logger,
    private readonly onStreamSettled: StreamSettled,
  ) {}

  async run(ctx: GatewayContext, call: AiCall): Promise<Outcome> {
    const entries = plan(call.route);
    this.logSkips(call);
    if (entries.length === 0) {
      throw toClientError(
        new UpstreamError('breaker_open', 'every deployment has an open circuit breaker', call.alias, {
          retryAfterMs: soonestRetryMs(call.route),
        }),
        call.alias,
      );
    }
    const { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs } = this.config.retry;
    let last: UpstreamError | undefined;
    // The alias' own deployments all skipped (open breakers): the request moves to a fallback alias
    // before any attempt, which is a fallback as much as one after a failed attempt (it was not
    // counted: 6 requests served by the fallback, 2 counted).
    let prev: RouteEntry | undefined = call.route.entries.includes(entries[0]) ? undefined : call.route.entries[0];
    let supported = false;
    // Deployments on a provider without a credential: skipped, not sent an empty key to fail with a
    // confusing upstream 401; when they are all there is, the answer says which key to set.
    const keyless: MissingKey[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!entry.dep.provider.supports(call.input.op)) continue;
      if (entry.dep.missingKey) {
        keyless.push(entry.dep.missingKey);
        call.logAttempt(
          attemptOf(entry, 'error', null, 'provider_not_configured', i < entries.length - 1 ? 'fallback' : null, 0),
        );
        continue;
      }
      supported = true;
      if (prev) this.metrics.fallbacks.inc({ from: prev.dep.id, to: entry.dep.id });
      prev = entry;
      for (let attempt = 1; ; attempt++) {
        if (call.cancelled)
          throw toClientError(new UpstreamError('cancelled', 'client closed the request', entry.dep.id), call.alias);
        const began = performance.now();
        try {
          const out = await entry.dep.breaker.fire(() => this.attempt(ctx, call, entry, attempt));
          call.logAttempt(attemptOf(entry, 'success', null, null, null, performance.now() - began));
          return out;
        } catch (thrown) {
          const err = entry.dep.breaker.rejection(thrown);
          if (!(err instanceof UpstreamError)) {
            call.logAttempt(
              attemptOf(entry, 'error', null, errorCodeOf(err) ?? 'internal_error', null, performance.now() - began),
            );
            throw err;
          }
          if (err.kind !== 'breaker_open' || !last) last = err;
          const spent = performance.now() - began;
          const fallback = i < entries.length - 1 ? 'fallback' : null;
          if (err.kind === 'cancelled' || err.isClientError) {
            call.logAttempt(failedAttempt(entry, err, null, spent));
            throw toClientError(err, call.alias);
          }
          if (
            err.kind === 'breaker_open' ||
            !err.retryable ||
            attempt >= maxAttempts ||
            (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs)
          ) {
            call.logAttempt(failedAttempt(entry, err, fallback, err.kind === 'breaker_open' ? 0 : spent));
            break;
          }
          call.logAttempt(failedAttempt(entry, err, 'retry', spent));
          const wait = err.retryAfterMs ?? backoff(attempt, baseDelayMs, maxDelayMs);
          this.metrics.retries.inc({ deployment: entry.dep.id, reason: err.reason });
          await this.sleep(call, wait);
          // Waiting on a provider's rate limit is upstream time, not the gateway's own.
          recordUpstreamTime(ctx, wait);
        }
      }
    }
    if (!supported && keyless.length) throw notConfigured(call.alias, keyless);
    if (!supported) {
      throw AiErrors.create(
        'unsupported_operation',
        `Model "${call.alias}" does not support ${call.input.op === 'chat' ? 'chat completions' : 'embeddings'}.`,
        { param: 'model' },
      );
    }
    throw toClientError(last!, call.alias);
  }

  /**
   * Deployments of the route (and its fallbacks) that planning skipped because their breaker is
   * open: they are part of the request's story ("why did it not go to X?").
   */
  private logSkips(call: AiCall): void {
    const route = call.route;
    for (const r of route.fallbacks.length ? [route, ...route.fallbacks] : [route]) {
      for (const e of r.entries) {
        if (!e.dep.breaker.available())
          call.logAttempt(attemptOf(e, 'breaker_open', null, 'breaker_open', 'fallback', 0));
      }
    }
  }

  private sleep(call: AiCall, ms: number): Promise<void> {
    if (call.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        call.wake = undefined;
        resolve();
      }
      call.wake = done;
    });
  }

  /** One try on one deployment: resolves with the whole answer, or with a stream whose first event arrived. */
  private async attempt(ctx: GatewayContext, call: AiCall, entry: RouteEntry, n: number): Promise<Outcome> {
    const dep = entry.dep;
    const provider = dep.provider;
    call.entry = entry;
    call.attempts++;
    const info = call.info;
    info.provider = provider.name;
    info.deployment = dep.id;
    info.resolvedModel = dep.model;
    const ac = new AttemptSignal();
    call.attemptAbort = ac;
    const started = performance.now();
    const span = startProviderSpan(this.tracer, call.input, entry, call.alias, n);
    let timedOut = false;
    let relay: StreamRelay | undefined;
    // The first-byte limit is undici's headersTimeout / bodyTimeout (set by the provider): one timer
    // per attempt here, for the total.
    const total = setTimeout(() => {
      timedOut = true;
      if (relay)
        relay.timeout(
          `The upstream provider did not finish within ${provider.totalMs} ms; the response is incomplete.`,
        );
      else ac.abort();
    }, provider.totalMs);
    let res: UpstreamResponse | undefined;
    try {
      const headers = span ? traceHeaders(span) : undefined;
      if (!call.input.stream) {
        const whole = await provider.sendBuffered(call.input, dep.model, ac, headers, BODY_LIMITS);
        if (whole.statusCode >= 300)
          throw this.statusError(provider, dep.id, whole.statusCode, whole.headers, whole.body);
        clearTimeout(total);
        const answer = provider.parseAnswer(call.input, whole.body);
        this.succeeded(ctx, entry, started, whole.statusCode);
        endProviderSpan(span, {
          usage: answer.usage,
          responseModel: answer.responseModel,
          responseId: answer.responseId,
          finishReasons: answer.finishReasons,
          status: whole.statusCode,
        });
        return { kind: 'json', answer, entry };
      }
      res = await provider.send(call.input, dep.model, ac, headers);
      if (res.statusCode >= 300)
        throw this.statusError(provider, dep.id, res.statusCode, res.headers, (await readWhole(res, BODY_LIMITS)).body);
      relay = new StreamRelay(
        res.body,
        provider.streamTranslator(call.input),
        () => ac.abort(),
        (end) => {
          clearTimeout(total);
          const t = relay!.translator;
          endProviderSpan(span, {
            usage: t.usage,
            responseModel: t.responseModel,
            finishReasons: t.finishReason ? [t.finishReason] : undefined,
            error: end.outcome === 'success' ? undefined : (end.code ?? end.outcome),
          });
          this.onStreamSettled(call, end);
        },
      );
      call.relay = relay;
      call.span = span;
      await relay.firstOutput;
      this.succeeded(ctx, entry, started, res.statusCode);
      return { kind: 'stream', relay, entry };
    } catch (err) {
      clearTimeout(total);
      if (call.relay === relay) call.relay = undefined;
      if (res && !res.body.destroyed) {
        res.body.on('error', () => {});
        res.body.destroy();
      }
      const failure = this.classify(err, dep.id, timedOut, call.cancelled, provider.secrets);
      if (failure instanceof GatewayError) throw failure;
      const elapsed = performance.now() - started;
      recordUpstreamTime(ctx, elapsed);
      this.metrics.upstream.observe({
        labels: {
          provider: provider.name,
          deployment: dep.id,
          status: failure.kind === 'status' ? String(failure.status) : failure.kind,
        },
        value: elapsed / 1000,
      });
      endProviderSpan(span, {
        error: failure.kind === 'status' ? String(failure.status) : failure.kind,
        status: failure.status,
      });
      if (failure.kind !== 'cancelled') {
        // The provider's own text only redacted and cut short: auth failures echo key fragments,
        // connection errors name internal hosts.
        this.logger.warn('upstream attempt failed', {
          deployment: dep.id,
          provider: provider.name,
          attempt: n,
          kind: failure.kind,
          status: failure.status,
          reason: redactProviderText(failure.message),
        });
      }
      throw failure;
    }
  }

  /** An upstream error status as a retryable UpstreamError (its message scrubbed of the provider's secrets). */
  private statusError(
    provider: ProviderAdapter,
    deployment: string,
    status: number,
    headers: UpstreamResponse['headers'],
    raw: Buffer,
  ): UpstreamError {
    const body = provider.parseError(status, raw);
    if (body.message) body.message = scrub(body.message, provider.secrets);
    return new UpstreamError(
      'status',
      `${deployment} answered HTTP ${status}${body.message ? `: ${body.message}` : ''}`,
      deployment,
      {
        status,
        body,
        retryAfterMs: retryAfterMs(headers),
      },
    );
  }

  private succeeded(ctx: GatewayContext, entry: RouteEntry, started: number, status: number): void {
    const elapsed = performance.now() - started;
    recordUpstreamTime(ctx, elapsed);
    const dep = entry.dep;
    dep.latencyMs = dep.latencyMs === 0 ? elapsed : dep.latencyMs * 0.8 + elapsed * 0.2;
    this.metrics.upstream.observe({
      labels: { provider: dep.provider.name, deployment: dep.id, status: String(status) },
      value: elapsed / 1000,
    });
  }

  private classify(
    err: unknown,
    deployment: string,
    timedOut: boolean,
    cancelled: boolean,
    secrets: readonly string[],
  ): UpstreamError | GatewayError {
    if (err instanceof UpstreamError || err instanceof GatewayError) return err;
    if (cancelled) return new UpstreamError('cancelled', 'client closed the request', deployment);
    if (err instanceof StreamEventError) {
      const body = { ...err.body, message: err.body.message ? scrub(err.body.message, secrets) : undefined };
      return new UpstreamError(
        'stream_error',
        `${deployment} sent an error event: ${body.message ?? 'unknown'}`,
        deployment,
        { body },
      );
    }
    const code = errorCodeOf(err);
    if (
      timedOut ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return new UpstreamError('timeout', `${deployment} timed out${code ? ` (${code})` : ''}`, deployment);
    }
    // Without the upstream's address: the error travels on as a client error's cause and into logs.
    const message = redactAddresses(scrub(String((err as Error)?.message ?? err), secrets));
    return new UpstreamError(
      'connection',
      `${deployment} connection failed${code ? ` (${code})` : ''}: ${message}`,
      deployment,
    );
  }
}
