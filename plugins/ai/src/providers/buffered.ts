import type { Dispatcher } from 'undici';
import type { AttemptSignal } from '../engine/AttemptSignal';
import type { BodyLimits, BufferedResponse, UpstreamResponse } from '../types';
import { errors } from './undici';

function tooLarge(limit: number): Error {
  return new Error(`the answer is larger than ${limit} bytes`);
}

/**
 * undici dispatch handler that collects a whole response into one Buffer.
 *
 * Why not `request()` and a read of its body: that path wraps every response in a Readable stream
 * (stream state, 'data'/'end' events, next-tick scheduling) and a promise per step, about a tenth
 * of the gateway's own CPU per proxied request; a non-streaming call only ever needs the bytes.
 * Timeouts are undici's (headersTimeout / bodyTimeout, set on the dispatch); the attempt's signal
 * aborts the request at any point, as `request({ signal })` does.
 */
class BufferingHandler implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private limit = 0;
  private statusCode = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private readonly onAbort = (): void => {
    const err = new errors.RequestAbortedError();
    if (this.controller) this.controller.abort(err);
    else this.fail(err);
  };

  constructor(
    private readonly limits: BodyLimits,
    private readonly signal: AttemptSignal,
    private readonly resolve: (res: BufferedResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    signal.once('abort', this.onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new errors.RequestAbortedError());
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.statusCode = statusCode;
    this.headers = headers;
    this.limit = statusCode >= 300 ? this.limits.error : this.limits.answer;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      const err = tooLarge(this.limit);
      this.fail(err);
      controller.abort(err);
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeListener('abort', this.onAbort);
    const c = this.chunks;
    this.resolve({
      statusCode: this.statusCode,
      headers: this.headers,
      body: c.length === 1 ? c[0] : Buffer.concat(c, this.size),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeListener('abort', this.onAbort);
    this.reject(err);
  }
}

/** Dispatches `options` and resolves with the whole response (see BufferingHandler). */
export function dispatchBuffered(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AttemptSignal,
  limits: BodyLimits,
): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const handler = new BufferingHandler(limits, signal, resolve, reject);
    if (signal.aborted) {
      handler.fail(new errors.RequestAbortedError());
      return;
    }
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      handler.fail(err);
    }
  });
}

/** Reads a streamed response whole, with the same limits (the mock provider's answers, a stream's error body). */
export function readWhole(res: UpstreamResponse, limits: BodyLimits): Promise<BufferedResponse> {
  const limit = res.statusCode >= 300 ? limits.error : limits.answer;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        res.body.destroy();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    res.body.once('end', () =>
      resolve({
        statusCode: res.statusCode,
        headers: res.headers,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      }),
    );
    res.body.once('error', reject);
  });
}
