import type { Context } from 'koa';
import { errors } from '../errors/GatewayError';
import { CoreErrors } from '../errors/coreErrors';

declare module 'koa' {
  interface Request {
    /** Parsed JSON body (routes with `body: 'json'`). */
    body?: unknown;
    /** Raw body bytes (routes with `body: 'json'` or `'raw'`). */
    rawBody?: Buffer;
  }
}

/** 408: the body did not arrive within `server.bodyTimeoutMs` of the request's start. */
export const bodyTimeout = (ms: number) =>
  CoreErrors.create(
    'body_timeout',
    `The request body did not arrive within ${ms} ms; send it at once (or raise server.bodyTimeoutMs for slow links).`,
  );

/**
 * Reads the request body with a hard size limit and a deadline. Rejects early on Content-Length, and
 * stops reading (413) as soon as a chunked body passes the limit, so a huge upload costs no memory;
 * the rest is never read (the kernel closes the connection after the error answer). `deadline` is
 * a performance.now() instant: a body still arriving then is refused with 408 `body_timeout`.
 *
 * Not async: one promise for the whole read (an async function awaiting the read made three, and
 * with the promise hooks on each one costs).
 */
export function readBody(
  ctx: Context,
  limit: number,
  parseJson: boolean,
  deadline = Infinity,
  timeoutMs = 0,
): Promise<void> {
  const req = ctx.req;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(errors.tooLarge(limit));
  if (!req.headers['content-length'] && !req.headers['transfer-encoding']) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Not resumed: the rest is not read; the connection closes after the 413.
        req.pause();
        reject(errors.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      try {
        keepBody(ctx, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), parseJson);
        resolve();
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(
        CoreErrors.create('request_aborted', 'The request body could not be read; the client closed the connection.', {
          cause: err,
        }),
      );
    };
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError as () => void);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError as () => void);
    if (deadline !== Infinity && !req.complete) {
      timer = setTimeout(
        () => {
          cleanup();
          req.pause();
          // Whatever its size, the rest would arrive as slowly: the connection ends with the 408.
          ctx.res.setHeader('connection', 'close');
          reject(bodyTimeout(timeoutMs));
        },
        Math.max(0, deadline - performance.now()),
      );
    }
  });
}

/** Stores the raw bytes and, for JSON routes, the parsed body; throws the client's error (415, 400). */
function keepBody(ctx: Context, raw: Buffer, parseJson: boolean): void {
  ctx.request.rawBody = raw;
  if (!parseJson || raw.length === 0) return;
  const type = ctx.req.headers['content-type'];
  if (type && !type.includes('json')) {
    throw CoreErrors.create(
      'unsupported_media_type',
      `Content-Type ${type.split(';')[0]} is not supported here; send application/json.`,
    );
  }
  try {
    ctx.request.body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw CoreErrors.create(
      'invalid_json',
      `The request body is not valid JSON: ${(err as Error).message}. Check quoting and commas.`,
    );
  }
}
