/**
 * The in-process publish buffer both EventQueue implementations share. `publish()` on the request path
 * only appends to two arrays; a timer (or a full batch) writes everything waiting in one round trip.
 * A failed write puts its messages back at the front and retries with backoff: messages are never
 * dropped, and the buffer is bounded so a long outage fails publishers loudly instead of eating memory.
 */

/** What a write achieved: nothing thrown means all written, except the indexes listed in `failed`. */
export interface WriteOutcome {
  failed: number[];
  error: unknown;
}

export interface PublishBufferOptions {
  /** Wait this long after the first buffered message before writing (batches what arrives meanwhile). */
  flushIntervalMs: number;
  /** Write as soon as this many messages wait. */
  maxBatch: number;
  /** Most messages held (waiting + being written); publish throws beyond it. */
  limit: number;
  /** Writes one batch; resolves with the failed part on partial failure, rejects when nothing was written. */
  write(topics: string[], payloads: string[]): Promise<WriteOutcome | undefined>;
  /** Backend name for error messages (`database`, `Redis`). */
  backend: string;
  /** Receives background write failures (the messages stay buffered). */
  onError?: (err: unknown) => void;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5000;

/** Thrown by publish() when the buffer is full; `code` lets callers tell it apart from bugs. */
export class QueueBufferFullError extends Error {
  readonly code = 'queue_buffer_full';
}

export class PublishBuffer {
  private topics: string[] = [];
  private payloads: string[] = [];
  /** Messages handed to the current write (still not durable, so they count as buffered). */
  private inFlight = 0;
  /** The current write, settled (never rejects); undefined when idle. */
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Non-zero while backing off after a failed write. */
  private retryDelayMs = 0;
  private closed = false;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.kick();
  };

  constructor(private readonly options: PublishBufferOptions) {}

  /** Messages not yet durable: waiting plus being written. */
  size(): number {
    return this.topics.length + this.inFlight;
  }

  push(topic: string, payload: string): void {
    if (this.closed) throw new Error('The event queue is closed; publish() was called after close()');
    if (this.topics.length + this.inFlight >= this.options.limit) {
      throw new QueueBufferFullError(
        `Event queue buffer is full: ${this.options.limit} messages are waiting to be written to ${this.options.backend}, ` +
          `which is unreachable or too slow; the message was not queued`,
      );
    }
    this.topics.push(topic);
    this.payloads.push(payload);
    if (this.writing !== undefined) return; // the running write schedules the next one when it ends
    if (this.topics.length >= this.options.maxBatch && this.retryDelayMs === 0) this.kick();
    else if (this.timer === undefined) this.schedule(this.options.flushIntervalMs);
  }

  /** Writes everything buffered; rejects if a write fails (the messages stay buffered and are retried). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.writing !== undefined) {
        await this.writing;
        continue;
      }
      if (this.topics.length === 0) return;
      await this.startWrite();
    }
  }

  /** Stops accepting messages and writes what is buffered. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } finally {
      this.clearTimer();
    }
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(this.onTimer, ms);
    // Buffered messages must not keep a process alive; shutdown calls flush() or close().
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private kick(): void {
    if (this.writing !== undefined || this.topics.length === 0) return;
    // The returned promise is also observed through `this.writing`, so its rejection is handled.
    void this.startWrite().catch(() => {});
  }

  /** Starts a write of everything waiting; the returned promise rejects when it fails. */
  private startWrite(): Promise<void> {
    this.clearTimer();
    const raw = this.writeBatch();
    this.writing = raw.then(
      () => {
        this.retryDelayMs = 0;
      },
      (err: unknown) => {
        this.retryDelayMs = this.retryDelayMs === 0 ? RETRY_MIN_MS : Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
        this.options.onError?.(err);
      },
    );
    void this.writing.then(() => {
      this.writing = undefined;
      if (this.topics.length === 0) return;
      if (this.retryDelayMs > 0) this.schedule(this.retryDelayMs);
      else if (this.topics.length >= this.options.maxBatch) this.kick();
      else this.schedule(this.options.flushIntervalMs);
    });
    return raw;
  }

  private async writeBatch(): Promise<void> {
    const topics = this.topics;
    const payloads = this.payloads;
    this.topics = [];
    this.payloads = [];
    this.inFlight = topics.length;
    let outcome: WriteOutcome | undefined;
    try {
      outcome = await this.options.write(topics, payloads);
    } catch (err) {
      this.requeue(topics, payloads, undefined);
      throw err;
    } finally {
      this.inFlight = 0;
    }
    if (outcome !== undefined && outcome.failed.length > 0) {
      this.requeue(topics, payloads, outcome.failed);
      throw outcome.error;
    }
  }

  /** Puts failed messages back in front of those published meanwhile, keeping publish order. */
  private requeue(topics: string[], payloads: string[], failed: number[] | undefined): void {
    let backTopics = topics;
    let backPayloads = payloads;
    if (failed !== undefined) {
      backTopics = failed.map((i) => topics[i]);
      backPayloads = failed.map((i) => payloads[i]);
    }
    this.topics = backTopics.concat(this.topics);
    this.payloads = backPayloads.concat(this.payloads);
  }
}
