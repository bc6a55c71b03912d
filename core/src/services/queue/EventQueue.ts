/**
 * A durable, at-least-once queue. Producers publish to a topic; consumer groups read batches, process
 * them and ack. A message a consumer read but did not ack (it crashed) is redelivered to another
 * consumer of the group after `claimIdleMs`. Two implementations: a database outbox table (embedded
 * default) and Redis Streams with consumer groups.
 */
export interface QueueMessage<T = unknown> {
  id: string;
  topic: string;
  payload: T;
  /** How many times this message was delivered before (0 on first delivery). */
  deliveries: number;
}

export interface ConsumeOptions {
  group: string;
  consumer?: string;
  batchSize?: number;
  /** How long a read waits for messages before returning an empty batch. */
  blockMs?: number;
  /** Messages held by a consumer for longer than this are claimed by another. */
  claimIdleMs?: number;
}

export type BatchHandler<T> = (messages: QueueMessage<T>[]) => Promise<void>;

export interface Subscription {
  stop(): Promise<void>;
}

/** See {@link EventQueue.publishHandedOff}. */
export interface HandOff {
  handedOff: Promise<void>;
  durable: Promise<string[]>;
}

export interface EventQueue {
  readonly kind: 'database' | 'redis';
  /**
   * Buffers the message and writes it with others in one round trip a few ms later. Use on the
   * request path: it never waits on I/O. `flush()` (called on shutdown) writes what is buffered.
   */
  publish<T>(topic: string, payload: T): void;
  /** Writes the message now and resolves when it is durable. */
  publishNow<T>(topic: string, payloads: T[]): Promise<string[]>;
  /**
   * publishNow that also says when the messages have left this process. `handedOff` resolves as
   * soon as a crash of this process can no longer lose them: on Redis, when the whole write sits in
   * the kernel's socket buffer of a ready connection (checked synchronously, no round trip; the
   * kernel delivers it even if the process is killed); otherwise, and on database queues, when
   * `durable` resolves. `durable` is publishNow's promise; a write the backend refuses after the
   * hand-off shows up only there.
   */
  publishHandedOff<T>(topic: string, payloads: T[]): HandOff;
  flush(): Promise<void>;
  /** Reads up to `batchSize` new or reclaimed messages for this consumer. */
  read<T>(topic: string, options: ConsumeOptions): Promise<QueueMessage<T>[]>;
  ack(topic: string, group: string, ids: string[]): Promise<void>;
  /** Runs a consumer loop: handler resolves → ack; throws → left pending, redelivered later. */
  consume<T>(topic: string, options: ConsumeOptions, handler: BatchHandler<T>): Subscription;
  /** Messages published to the topic and not yet acked by the group. */
  lag(topic: string, group: string): Promise<number>;
  /** Messages waiting in the in-process publish buffer. */
  buffered(): number;
  close(): Promise<void>;
}
