import { GatewayError, redactAddresses, CoreErrors } from '@aihub/core/plugin-api';
import type { UpstreamErrorBody } from '../types';
import { AiErrors } from '../errors';

export type UpstreamFailureKind = 'status' | 'timeout' | 'connection' | 'stream_error' | 'cancelled' | 'breaker_open';

/**
 * One failed upstream attempt, already scrubbed of credentials. `status` is the provider's HTTP
 * status for kind `status`. Its message is safe to log.
 */
export class UpstreamError extends Error {
  readonly kind: UpstreamFailureKind;
  readonly status: number | undefined;
  readonly body: UpstreamErrorBody | undefined;
  readonly retryAfterMs: number | undefined;
  readonly deployment: string;

  constructor(
    kind: UpstreamFailureKind,
    message: string,
    deployment: string,
    extra: { status?: number; body?: UpstreamErrorBody; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.kind = kind;
    this.deployment = deployment;
    this.status = extra.status;
    this.body = extra.body;
    this.retryAfterMs = extra.retryAfterMs;
  }

  /**
   * A client error the provider answered (bad parameter, too long): not retried, no fallback, not a
   * breaker failure. 408 and 429 are the provider's state, not the request's fault.
   */
  get isClientError(): boolean {
    const s = this.status;
    return (
      this.kind === 'status' &&
      s !== undefined &&
      s >= 400 &&
      s < 500 &&
      s !== 408 &&
      s !== 429 &&
      !DEPLOYMENT_STATUSES.has(s)
    );
  }

  /** Worth trying the same deployment again after a pause. */
  get retryable(): boolean {
    if (this.kind === 'timeout' || this.kind === 'connection' || this.kind === 'stream_error') return true;
    return (
      this.kind === 'status' &&
      this.status !== undefined &&
      (this.status === 408 || this.status === 429 || this.status >= 500)
    );
  }

  /** Worth trying another deployment. */
  get fallbackable(): boolean {
    return this.kind !== 'cancelled' && !this.isClientError;
  }

  /** Label for aihub_ai_retries_total{reason}. */
  get reason(): string {
    if (this.kind === 'status') return this.status === 429 ? '429' : this.status! >= 500 ? '5xx' : String(this.status);
    return this.kind;
  }
}

/** Statuses that say the deployment (not the request) is wrong: our key, our model name. */
const DEPLOYMENT_STATUSES = new Set([401, 403, 404]);

/** Thrown by a stream translator when the provider sends an error event before any content. */
export class StreamEventError extends Error {
  constructor(readonly body: UpstreamErrorBody) {
    super(body.message ?? 'the provider sent an error event');
    this.name = 'StreamEventError';
  }
}

const KEY_PATTERNS: [RegExp, string][] = [
  [/\bsk-[A-Za-z0-9_*-]{6,}/g, '[redacted]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/([?&](?:api[-_]?key|key|token|access_token|sig)=)[^&\s"']+/gi, '$1[redacted]'],
  [/(\/\/[^/:@\s]+:)[^@\s/]+@/g, '$1[redacted]@'],
];

/** Removes credentials from text that came from (or is about) a provider: configured keys, key-like strings, keys in URLs. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  for (const [re, replacement] of KEY_PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Retry-After (seconds or HTTP date) or OpenAI's retry-after-ms, in ms. */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && ms !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = headers['retry-after'];
  if (typeof ra !== 'string' || ra === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : undefined;
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * The error the client gets when every attempt failed. Statuses follow OpenAI's: 429 for rate
 * limits (with Retry-After), 504 for timeouts, 502 for a broken upstream, the provider's own 4xx
 * for a bad request. Provider credentials and URLs never appear.
 */
export function toClientError(err: UpstreamError, model: string): GatewayError {
  const cause = err;
  switch (err.kind) {
    case 'timeout':
      return AiErrors.create(
        'upstream_timeout',
        `The upstream provider did not answer in time for model "${model}"; retry, or ask for fewer tokens.`,
        { cause },
      );
    case 'connection':
      return AiErrors.create(
        'upstream_unreachable',
        `The upstream provider for model "${model}" could not be reached; retry later.`,
        { cause },
      );
    case 'breaker_open':
      return AiErrors.create(
        'no_healthy_deployment',
        `Every deployment of model "${model}" is failing and temporarily disabled; retry later.`,
        {
          cause,
          headers:
            err.retryAfterMs !== undefined
              ? { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) }
              : undefined,
        },
      );
    case 'stream_error':
      return AiErrors.create(
        'upstream_error',
        `The upstream provider failed while answering for model "${model}": ${redactAddresses(err.body?.message ?? 'stream error')}`,
        { cause },
      );
    case 'cancelled':
      return AiErrors.create('client_closed_request', 'The client closed the request.', { cause });
    case 'status':
      break;
  }
  const status = err.status!;
  if (status === 429) {
    const headers =
      err.retryAfterMs !== undefined
        ? { 'retry-after': String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))) }
        : undefined;
    return CoreErrors.create(
      'rate_limit_exceeded',
      `The upstream provider is rate limiting model "${model}"; retry after a pause.`,
      { headers, cause },
    );
  }
  if (status === 401 || status === 403) {
    return AiErrors.create(
      'upstream_auth_failed',
      `The provider rejected the gateway's credentials for model "${model}"; an operator must fix the provider's apiKey.`,
      { cause, expose: true },
    );
  }
  if (status === 404) {
    return AiErrors.create(
      'upstream_model_not_found',
      `The provider does not know the model configured for "${model}"; an operator must fix the deployment.`,
      { cause, expose: true },
    );
  }
  if (status >= 400 && status < 500) {
    const b = err.body;
    // The provider's explanation helps the client fix the request; addresses of upstreams are no part of it.
    return new GatewayError(
      b?.message ? redactAddresses(b.message) : `The provider rejected the request (HTTP ${status}).`,
      {
        code: typeof b?.code === 'string' && b.code ? b.code : 'upstream_invalid_request',
        status,
        param: b?.param ?? null,
        cause,
      },
    );
  }
  return AiErrors.create(
    'upstream_error',
    `The upstream provider failed (HTTP ${status}) for model "${model}"; retry later.`,
    { cause, expose: true },
  );
}
