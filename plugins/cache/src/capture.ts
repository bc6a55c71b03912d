import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ChatStreamAssembler, SseParser } from './assemble';

/**
 * Copies what passes through a streamed response body without delaying it: SSE is parsed into a
 * `chat.completion` as chunks go by; any other body (a JSON answer piped as a stream) is buffered.
 * Capturing stops quietly when the body grows past `maxBytes`; `complete` is set only when the source
 * ended normally (not on an upstream error or a client abort, which destroy the pipeline).
 */
export class StreamCapture {
  readonly assembler: ChatStreamAssembler | undefined;
  private readonly parser: SseParser | undefined;
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  overflow = false;
  ended = false;

  constructor(
    readonly sse: boolean,
    private readonly maxBytes: number,
  ) {
    if (sse) {
      const assembler = new ChatStreamAssembler();
      this.assembler = assembler;
      this.parser = new SseParser((data) => assembler.event(data));
    }
  }

  /** Wraps `body` (Node or web stream); returns the stream to hand to Koa instead. */
  wrap(body: Readable | WebReadableStream): Readable {
    const source = body instanceof Readable ? body : Readable.fromWeb(body);
    const tee = new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        this.take(chunk);
        done(null, chunk);
      },
      flush: (done: TransformCallback) => {
        if (!this.overflow) this.parser?.end();
        this.ended = true;
        done();
      },
    });
    // pipeline destroys the source when Koa destroys the tee (client gone), and swallows the error
    // into the callback, so an aborted upstream can never crash the process.
    return pipeline(source, tee, () => {});
  }

  private take(chunk: Buffer): void {
    if (this.overflow) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.overflow = true;
      this.parts.length = 0;
      return;
    }
    if (this.parser) this.parser.push(chunk);
    else this.parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }

  /** The buffered non-SSE body (undefined when it overflowed or did not end). */
  text(): string | undefined {
    if (this.overflow || !this.ended || this.sse) return undefined;
    return Buffer.concat(this.parts).toString('utf8');
  }
}
