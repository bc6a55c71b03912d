import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { StreamTranslator } from '../types';

export type RelayOutcome = 'success' | 'error' | 'cancelled';

/** How a stream ended, for the usage record and the error event. */
export interface RelayEnd {
  outcome: RelayOutcome;
  /** Stable code of the failure (`upstream_stream_error`, `upstream_timeout`, `upstream_stream_truncated`). */
  code?: string;
  message?: string;
}

/** OpenAI's mid-stream error event. The SDKs throw an APIError when they read it. */
export function errorEvent(message: string, code: string, type = 'server_error'): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`;
}

/**
 * Relays an upstream SSE body to the client as it arrives, through a translator. `firstOutput`
 * resolves when the first complete event is ready (until then the attempt may still be retried or
 * fall back) and rejects when the upstream fails before it. After it, a failure ends the stream
 * with an OpenAI error event, and the client leaving aborts the upstream request. The upstream body
 * has its error listener from the start, so an abort never becomes an unhandled 'error'.
 *
 * Output goes one of two ways. `attach(res)` writes straight to the response with backpressure
 * (the plugin's last response.transform hook does this: no stream pipeline per request, whose
 * AbortController and DOMException cost ~8 µs). Otherwise `out` is a Readable Koa pipes as the body,
 * e.g. when another plugin wrapped it. Until one of them starts, the first output is held and the
 * upstream paused.
 */
export class StreamRelay {
  readonly firstOutput: Promise<void>;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: unknown) => void;
  private started = false;
  private settled = false;
  /** The client left (cancel()): nothing more is written, and a response attached later is destroyed. */
  private cancelled = false;
  private paused = false;
  private mode: 'hold' | 'readable' | 'direct' = 'hold';
  private held: (Buffer | string)[] = [];
  private ended = false;
  private sink: ServerResponse | undefined;
  private outStream: Readable | undefined;
  /** Set when the upstream was stopped on purpose (timeout) so its abort error is reported as such. */
  private stopReason: { code: string; message: string } | undefined;

  constructor(
    private readonly upstream: Readable,
    readonly translator: StreamTranslator,
    private readonly abortUpstream: () => void,
    private readonly onSettled: (end: RelayEnd) => void,
  ) {
    this.firstOutput = new Promise<void>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    upstream.on('error', this.onError);
    upstream.on('data', this.onData);
    upstream.on('end', this.onEnd);
  }

  /** The stream as a Readable (for Koa's body, when the relay is not attached to the response). */
  get out(): Readable {
    this.outStream ??= new Readable({
      read: () => {
        if (this.mode === 'hold') {
          this.mode = 'readable';
          for (const b of this.held) this.outStream!.push(b);
          this.held = [];
          if (this.ended) this.outStream!.push(null);
        }
        this.resume();
      },
      destroy: (err, cb) => {
        // Koa destroys the body when the response closes early: the client went away.
        if (!this.settled) this.cancel();
        cb(err);
      },
    });
    return this.outStream;
  }

  /**
   * Writes the stream straight to the response (its headers are set; status and headers go with the
   * first write). After cancel() (the client left while the first output was held) nothing would ever
   * be written or end the response, and a client gone before this call has had its 'close' already,
   * so the listener below would never cancel: either way the response is destroyed here and the
   * upstream aborted (once).
   */
  attach(res: ServerResponse): void {
    if (this.cancelled || res.destroyed) {
      this.cancel();
      res.destroy();
      return;
    }
    this.mode = 'direct';
    this.sink = res;
    res.once('close', () => {
      if (!this.settled && !res.writableFinished) this.cancel();
    });
    for (const b of this.held) res.write(b);
    this.held = [];
    if (this.ended) res.end();
    else this.resume();
  }

  private resume(): void {
    if (this.paused) {
      this.paused = false;
      this.upstream.resume();
    }
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.upstream.pause();
  }

  private readonly onDrain = (): void => this.resume();

  private write(bytes: Buffer | string): void {
    switch (this.mode) {
      case 'direct':
        if (!this.sink!.write(bytes)) {
          this.pause();
          this.sink!.once('drain', this.onDrain);
        }
        return;
      case 'readable':
        if (!this.outStream!.push(bytes)) this.pause();
        return;
      default:
        // Nobody reads yet (the first event resolved firstOutput; the response starts next): hold
        // this and stop reading. An upstream that sent the whole stream at once would otherwise be
        // translated, ended and settled (usage, span, metrics) before the first byte is written.
        this.held.push(bytes);
        this.pause();
    }
  }

  private end(): void {
    this.ended = true;
    if (this.mode === 'direct') this.sink!.end();
    else if (this.mode === 'readable') this.outStream!.push(null);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.settled) return;
    let bytes: Buffer | string | null;
    try {
      bytes = this.translator.push(chunk);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (bytes === null) return;
    this.emit(bytes);
  };

  private emit(bytes: Buffer | string): void {
    if (!this.started) {
      this.started = true;
      this.resolveFirst();
    }
    this.write(bytes);
  }

  private readonly onEnd = (): void => {
    if (this.settled) return;
    let tail: Buffer | string | null;
    try {
      tail = this.translator.end();
    } catch (err) {
      this.onError(err);
      return;
    }
    if (tail) this.emit(tail);
    if (!this.started) {
      this.settled = true;
      this.rejectFirst(new Error('the upstream ended the stream without sending an event'));
      return;
    }
    const t = this.translator;
    if (t.done) this.settle({ outcome: 'success' });
    else if (t.streamError)
      this.settle({ outcome: 'error', code: 'upstream_stream_error', message: t.streamError.message });
    else {
      const message = 'The upstream provider ended the stream before it was complete.';
      this.write(errorEvent(message, 'upstream_stream_truncated'));
      this.settle({ outcome: 'error', code: 'upstream_stream_truncated', message });
    }
    this.end();
  };

  private readonly onError = (err: unknown): void => {
    if (this.settled) return;
    if (!this.started) {
      this.settled = true;
      this.upstream.destroy();
      this.rejectFirst(err);
      return;
    }
    const stalled = (err as { code?: unknown } | null)?.code === 'UND_ERR_BODY_TIMEOUT';
    const reason =
      this.stopReason ??
      (stalled
        ? {
            code: 'upstream_timeout',
            message: 'The upstream provider stopped sending in the middle of the answer; the response is incomplete.',
          }
        : {
            code: 'upstream_stream_error',
            message: 'The upstream provider failed in the middle of the answer; the response is incomplete.',
          });
    if (!this.translator.streamError) this.write(errorEvent(reason.message, reason.code));
    this.settle({ outcome: 'error', code: reason.code, message: reason.message });
    this.upstream.destroy();
    this.end();
  };

  /** Total timeout while streaming: end with an error event. */
  timeout(message: string): void {
    if (this.settled) return;
    this.stopReason = { code: 'upstream_timeout', message };
    this.abortUpstream();
    // undici reports the abort on the body; a custom transport may not, so settle here too.
    setImmediate(() => this.onError(new Error('timeout')));
  }

  /** The client left: abort the upstream request and settle as cancelled. */
  cancel(): void {
    if (this.settled) return;
    this.cancelled = true;
    this.settle({ outcome: 'cancelled' });
    this.abortUpstream();
    this.upstream.destroy();
    this.held = [];
  }

  private settle(end: RelayEnd): void {
    this.settled = true;
    this.onSettled(end);
  }
}
