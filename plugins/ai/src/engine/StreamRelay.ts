import { Readable } from 'node:stream';
import type { StreamTranslator, UpstreamErrorBody } from '../types';

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
 * Pipes an upstream SSE body to the client as it arrives, through a translator, with backpressure
 * (the upstream is paused while the client is slow). `firstOutput` resolves when the first complete
 * event is ready (until then the attempt may still be retried or fall back) and rejects when the
 * upstream fails before it. After it, a failure ends the stream with an OpenAI error event; the
 * client leaving (Koa destroys `out`) aborts the upstream request. The upstream body has its error
 * listener from the start, so an abort can never become an unhandled 'error'.
 */
export class StreamRelay {
  readonly out: Readable;
  readonly firstOutput: Promise<void>;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: unknown) => void;
  private started = false;
  private settled = false;
  private paused = false;
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
    this.out = new Readable({
      read: () => {
        if (this.paused) {
          this.paused = false;
          this.upstream.resume();
        }
      },
      destroy: (err, cb) => {
        // Koa destroys the body when the response closes early: the client went away.
        if (!this.settled) this.cancel();
        cb(err);
      },
    });
    upstream.on('error', this.onError);
    upstream.on('data', this.onData);
    upstream.on('end', this.onEnd);
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
    if (!this.out.push(bytes)) {
      this.paused = true;
      this.upstream.pause();
    }
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
    else if (t.streamError) this.settle({ outcome: 'error', code: 'upstream_stream_error', message: t.streamError.message });
    else {
      const message = 'The upstream provider ended the stream before it was complete.';
      this.out.push(errorEvent(message, 'upstream_stream_truncated'));
      this.settle({ outcome: 'error', code: 'upstream_stream_truncated', message });
    }
    this.out.push(null);
  };

  private readonly onError = (err: unknown): void => {
    if (this.settled) return;
    if (!this.started) {
      this.settled = true;
      this.upstream.destroy();
      this.rejectFirst(err);
      return;
    }
    const reason = this.stopReason ?? { code: 'upstream_stream_error', message: 'The upstream provider failed in the middle of the answer; the response is incomplete.' };
    const body: UpstreamErrorBody | undefined = this.translator.streamError;
    if (!body) this.out.push(errorEvent(reason.message, reason.code));
    this.settle({ outcome: 'error', code: reason.code, message: reason.message });
    this.upstream.destroy();
    this.out.push(null);
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
    this.settle({ outcome: 'cancelled' });
    this.abortUpstream();
    this.upstream.destroy();
  }

  private settle(end: RelayEnd): void {
    this.settled = true;
    this.onSettled(end);
  }
}
