import winston from 'winston';
import { redactSecrets } from './redact';
import { currentRequest } from './requestContext';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  /** Added to every line (service name, instance id). */
  defaultMeta?: Record<string, unknown>;
  /** Write to stderr instead of stdout (the CLI keeps stdout for command output). */
  stderr?: boolean;
  silent?: boolean;
  /** Write to this stream instead of the console (tests, log shippers). */
  stream?: NodeJS.WritableStream;
}

/** Adds request_id, trace_id, span_id and tenant_id of the request being served, when there is one. */
const requestFields = winston.format((info) => {
  const req = currentRequest();
  if (req) {
    info.request_id ??= req.requestId;
    if (req.traceId) info.trace_id ??= req.traceId;
    if (req.spanId) info.span_id ??= req.spanId;
    if (req.tenantId) info.tenant_id ??= req.tenantId;
  }
  return info;
});

/** Keys whose values are never written to a log line, whatever plugin logs them. */
const SECRET_KEYS =
  /^(authorization|api[-_]?key|x-api-key|password|secret|client_secret|token|access_token|refresh_token|cookie)$/i;

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) (info as Record<string, unknown>)[key] = '[redacted]';
  }
  return info;
});

/** Errors logged as `{ err }` keep their stack and code. */
const errorFields = winston.format((info) => {
  const err = (info as { err?: unknown }).err;
  if (err instanceof Error) {
    (info as Record<string, unknown>).err = {
      name: err.name,
      message: err.message,
      code: (err as { code?: unknown }).code,
      stack: err.stack,
      cause:
        err.cause instanceof Error
          ? { name: err.cause.name, message: err.cause.message, stack: err.cause.stack }
          : undefined,
    };
  }
  return info;
});

/** Fields that hold ids the gateway made, never secrets: left alone (and cheap to skip). */
const ID_FIELDS = new Set([
  'level',
  'timestamp',
  'request_id',
  'trace_id',
  'span_id',
  'tenant_id',
  'service',
  'plugin',
  'phase',
  'uid',
]);

/**
 * Key-like strings in free text (the message, error messages and stacks, string fields such as a
 * provider's error text) are replaced by markers: whatever a plugin logs, an API key, bearer token,
 * JWT or password never reaches the log stream in clear. See redactSecrets.
 */
const redactText = winston.format((info) => {
  const record = info as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (ID_FIELDS.has(key)) continue;
    const value = record[key];
    if (typeof value === 'string') record[key] = redactSecrets(value);
    else if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: unknown; stack?: unknown; cause?: { message?: unknown; stack?: unknown } };
      if (typeof err.message === 'string') err.message = redactSecrets(err.message);
      if (typeof err.stack === 'string') err.stack = redactSecrets(err.stack);
      if (err.cause && typeof err.cause.message === 'string') err.cause.message = redactSecrets(err.cause.message);
      if (err.cause && typeof err.cause.stack === 'string') err.cause.stack = redactSecrets(err.cause.stack);
    }
  }
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'pretty'
      ? winston.format.combine(
          requestFields(),
          redact(),
          errorFields(),
          redactText(),
          winston.format.timestamp(),
          winston.format.colorize(),
          winston.format.simple(),
        )
      : winston.format.combine(
          requestFields(),
          redact(),
          errorFields(),
          redactText(),
          winston.format.timestamp(),
          winston.format.json(),
        );
  return winston.createLogger({
    level: options.level,
    format,
    defaultMeta: options.defaultMeta,
    silent: options.silent,
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({
            stderrLevels: options.stderr ? Object.keys(winston.config.npm.levels) : ['error'],
          }),
    ],
  });
}
