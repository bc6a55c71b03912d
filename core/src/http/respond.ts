import Stream from 'node:stream';
import type Koa from 'koa';
import type { Context } from 'koa';

/** Statuses whose responses carry no body (the `statuses` package's `empty`, which Koa uses). */
const EMPTY_STATUS = new Set([204, 205, 304]);

/** Koa's stream test (koa/lib/is-stream.js). */
function isStream(body: unknown): body is Stream {
  if (body instanceof Stream) return true;
  if (body === null || typeof body !== 'object') return false;
  const s = body as Record<string, unknown>;
  return (
    !!s.readable &&
    typeof s.pipe === 'function' &&
    typeof s.read === 'function' &&
    typeof s.readable === 'boolean' &&
    typeof s.readableObjectMode === 'boolean' &&
    typeof s.destroy === 'function' &&
    typeof s.destroyed === 'boolean'
  );
}

/**
 * Koa's `respond` (koa/lib/application.js, Koa 3.3.0, MIT), statement for statement: writes
 * `ctx.body` to the raw response. Koa does not export it, and {@link answerWithoutFinishedListener}
 * must call it. Koa is pinned in core's package.json; a Koa upgrade must re-check this copy (the
 * HTTP tests exercise every branch a client can tell apart: empty statuses, HEAD, null, Buffer,
 * string, stream, JSON).
 */
export function respond(ctx: Context): unknown {
  if (ctx.respond === false) return;
  const res = ctx.res;
  if (!ctx.writable) return res.end();
  const body: unknown = ctx.body;
  const code = ctx.status;
  if (EMPTY_STATUS.has(code)) {
    ctx.body = null;
    return res.end();
  }
  if (ctx.method === 'HEAD') {
    if (!res.headersSent && !res.hasHeader('Content-Length')) {
      const { length } = ctx.response;
      if (Number.isInteger(length)) ctx.length = length as number;
    }
    return res.end();
  }
  if (body === null || body === undefined) {
    if ((ctx.response as Koa.Response & { _explicitNullBody?: boolean })._explicitNullBody) {
      ctx.response.remove('Content-Type');
      ctx.response.remove('Transfer-Encoding');
      ctx.length = 0;
      return res.end();
    }
    const text = ctx.req.httpVersionMajor >= 2 ? String(code) : ctx.message || String(code);
    if (!res.headersSent) {
      ctx.type = 'text';
      ctx.length = Buffer.byteLength(text);
    }
    return res.end(text);
  }
  if (Buffer.isBuffer(body) || typeof body === 'string') return res.end(body);
  let stream: Stream.Readable | null = null;
  if (body instanceof Blob) stream = Stream.Readable.from(body.stream());
  else if (body instanceof ReadableStream) stream = Stream.Readable.from(body);
  else if (body instanceof Response) stream = Stream.Readable.from(body?.body || '');
  else if (isStream(body)) stream = body as Stream.Readable;
  if (stream) {
    return Stream.pipeline(stream, res, (err) => {
      if (err && ctx.app.listenerCount('error')) ctx.onerror(err);
    });
  }
  const json = JSON.stringify(body);
  if (!res.headersSent) ctx.length = Buffer.byteLength(json);
  res.end(json);
}

/**
 * Replaces Koa's per-request `handleRequest` with the same flow minus its `on-finished` listener.
 * Koa attaches one to every response (two ee-first groups, four listeners on the response and its
 * socket, and their closures: the largest single allocation per proxied request, ~4 % of the bytes,
 * at 50 connections) only to pass a socket error to `ctx.onerror`, whose sole effect with
 * `app.silent` is the app's `error` event. The gateway's own `close` listener reports that case
 * instead (see createApp: a response that did not finish on a socket that errored).
 */
export function answerWithoutFinishedListener(app: Koa): void {
  (app as Koa & { handleRequest: unknown }).handleRequest = (
    ctx: Context,
    fnMiddleware: (ctx: Context) => Promise<unknown>,
  ): Promise<unknown> => {
    ctx.res.statusCode = 404;
    return fnMiddleware(ctx)
      .then(() => respond(ctx))
      .catch((err: Error) => ctx.onerror(err));
  };
}
