/**
 * The one error type of AI Hub. Every failure that reaches a client or an operator is a
 * GatewayError with a stable `code`, an HTTP `status` and a sentence that says what to fix.
 * `/v1/*` routes render it as an OpenAI-style error body; admin routes as RFC 9457 problem JSON.
 */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'timeout_error'
  | 'api_error'
  // OpenAI's 429s say which limit was hit.
  | 'requests'
  | 'tokens';

export interface GatewayErrorOptions {
  /** Stable machine-readable code, e.g. `invalid_json`, `rate_limit_exceeded`. */
  code: string;
  /** HTTP status to answer with. */
  status: number;
  /** OpenAI error `type`; derived from the status when omitted. */
  type?: OpenAiErrorType;
  /** The request parameter at fault, when there is one (OpenAI `param`). */
  param?: string | null;
  /** Extra response headers (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  /** Extra fields for problem+json bodies and logs; never secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Whether the message may be shown to the client (false for internal errors). */
  expose?: boolean;
}

function typeForStatus(status: number): OpenAiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export class GatewayError extends Error {
  readonly code: string;
  readonly status: number;
  readonly type: OpenAiErrorType;
  readonly param: string | null;
  readonly headers?: Record<string, string>;
  readonly details?: Record<string, unknown>;
  readonly expose: boolean;

  constructor(message: string, options: GatewayErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = options.code;
    this.status = options.status;
    this.type = options.type ?? typeForStatus(options.status);
    this.param = options.param ?? null;
    this.headers = options.headers;
    this.details = options.details;
    this.expose = options.expose ?? options.status < 500;
  }

  static is(err: unknown): err is GatewayError {
    return err instanceof GatewayError;
  }

  /** Wraps anything thrown into a GatewayError; unknown errors become a 500 that hides internals. */
  static from(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; code?: string };
    const status = e?.status ?? e?.statusCode;
    // Koa/http-errors style errors that are meant for the client keep their status and message.
    if (typeof status === 'number' && status >= 400 && status < 500 && e.expose !== false) {
      return new GatewayError(e.message ?? 'Bad request', {
        code: typeof e.code === 'string' ? e.code.toLowerCase() : 'bad_request',
        status,
        cause: err,
      });
    }
    return new GatewayError('The gateway hit an internal error; retry, and report the request id if it persists.', {
      code: 'internal_error',
      status: 500,
      cause: err,
      expose: false,
    });
  }
}

/** Shorthands for the errors every plugin needs. */
export const errors = {
  badRequest: (message: string, code = 'invalid_request', param?: string) =>
    new GatewayError(message, { code, status: 400, param }),
  unauthorized: (
    message = 'Missing or invalid credentials: send an API key as `Authorization: Bearer <key>`.',
    code = 'invalid_api_key',
  ) => new GatewayError(message, { code, status: 401, headers: { 'www-authenticate': 'Bearer' } }),
  forbidden: (message: string, code = 'permission_denied') => new GatewayError(message, { code, status: 403 }),
  notFound: (message: string, code = 'not_found') => new GatewayError(message, { code, status: 404 }),
  conflict: (message: string, code = 'conflict') => new GatewayError(message, { code, status: 409 }),
  tooLarge: (limit: number) =>
    new GatewayError(`The request body is larger than the ${limit} byte limit; send a smaller body.`, {
      code: 'request_too_large',
      status: 413,
    }),
  unavailable: (message: string, code = 'service_unavailable') => new GatewayError(message, { code, status: 503 }),
};
