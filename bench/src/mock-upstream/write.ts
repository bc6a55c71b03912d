import type { Exchange } from './types';

export function sendJson(ex: Exchange, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  ex.res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  ex.res.end(text);
}

/** Counts a complete 2xx answer (called when the response finished). */
export function countServed(ex: Exchange, promptTokens: number, completionTokens: number, stream: boolean): void {
  const s = ex.stats;
  s.requests++;
  if (stream) s.streams++;
  s.promptTokens += promptTokens;
  s.completionTokens += completionTokens;
  s.tokensServed += promptTokens + completionTokens;
}

export interface StreamPlan {
  chunks: string[];
  /** Index of the first chunk carrying a completion token, and how many do. */
  firstTokenChunk: number;
  tokenChunks: number;
  /** Chunks after the content (finish, usage, [DONE]) that `endAfterChunks`/`noUsage` may drop. */
  promptTokens: number;
  completionTokens: number;
  /** The in-stream error event written for `errorAfterChunks`. */
  errorChunk: string;
}

/**
 * Writes an SSE stream chunk by chunk, with the configured delay between chunks, and applies the
 * stream failures: cut the socket after N chunks, or end cleanly early. Stops when the client leaves.
 */
export function writeStream(ex: Exchange, plan: StreamPlan): void {
  const { res } = ex;
  const f = ex.failure;
  const delay = f?.chunkDelayMs ?? ex.options.chunkDelayMs;
  const cutAt = f?.cutAfterChunks;
  const endAt = f?.endAfterChunks;
  const errorAt = f?.errorAfterChunks;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let i = 0;
  let closed = false;
  const partial = () => Math.max(0, Math.min(plan.tokenChunks, i - plan.firstTokenChunk));
  res.once('close', () => {
    // The client left mid-stream (the gateway aborted); a cut we made ourselves is counted below.
    if (!closed && !res.writableFinished) ex.stats.partialCompletionTokens += partial();
    closed = true;
  });
  const step = (): void => {
    if (closed) return;
    while (i < plan.chunks.length) {
      if (cutAt !== undefined && i >= cutAt) {
        ex.stats.failed++;
        ex.stats.partialCompletionTokens += partial();
        closed = true;
        ex.selfClosed = true;
        // end() flushes what was written, then closes the connection without the chunked terminator:
        // the client sees the stream break mid-way (destroy() would discard the unflushed chunks).
        res.socket?.end();
        return;
      }
      if ((endAt !== undefined && i >= endAt) || (errorAt !== undefined && i >= errorAt)) {
        ex.stats.failed++;
        ex.stats.partialCompletionTokens += partial();
        closed = true;
        res.end(errorAt !== undefined && i >= errorAt ? plan.errorChunk : undefined);
        return;
      }
      res.write(plan.chunks[i++]);
      if (delay > 0 && i < plan.chunks.length) {
        setTimeout(step, delay);
        return;
      }
    }
    closed = true;
    res.end(() => countServed(ex, plan.promptTokens, plan.completionTokens, true));
  };
  step();
}
