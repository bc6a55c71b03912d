import type { Context } from 'koa';
import { GatewayError, errors } from '../errors/GatewayError';

declare module 'koa' {
  interface Request {
    /** Parsed JSON body (routes with `body: 'json'`). */
    body?: unknown;
    /** Raw body bytes (routes with `body: 'json'` or `'raw'`). */
    rawBody?: Buffer;
  }
}

/**
 * Reads the request body with a hard size limit. Rejects early on Content-Length, and stops reading
 * (413) as soon as a chunked body passes the limit, so a huge upload costs no memory.
 *
 * Not async: one promise for the whole read (an async function awaiting the read made three, and
 * with the promise hooks on each one costs).
 */
export function readBody(ctx: Context, limit: number, parseJson: boolean): Promise<void> {
  const req = ctx.req;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(errors.tooLarge(limit));
  }
  if (!req.headers['content-length'] && !req.headers['transfer-encoding']) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
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
      reject(new GatewayError('The request body could not be read; the client closed the connection.', { code: 'request_aborted', status: 400, cause: err }));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError as () => void);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError as () => void);
  });
}

/** Stores the raw bytes and, for JSON routes, the parsed body; throws the client's error (415, 400). */
function keepBody(ctx: Context, raw: Buffer, parseJson: boolean): void {
  ctx.request.rawBody = raw;
  if (!parseJson || raw.length === 0) return;
  const type = ctx.req.headers['content-type'];
  if (type && !type.includes('json')) {
    throw new GatewayError(`Content-Type ${type.split(';')[0]} is not supported here; send application/json.`, { code: 'unsupported_media_type', status: 415 });
  }
  try {
    ctx.request.body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new GatewayError(`The request body is not valid JSON: ${(err as Error).message}. Check quoting and commas.`, {
      code: 'invalid_json',
      status: 400,
    });
  }
}
