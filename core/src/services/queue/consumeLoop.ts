import type { BatchHandler, QueueMessage, Subscription } from './EventQueue';

export interface ConsumerLoopOptions<T> {
  /** Reads the next batch; may wait (block) for messages, and should return early once `signal` aborts. */
  read(signal: AbortSignal): Promise<QueueMessage<T>[]>;
  ack(ids: string[]): Promise<void>;
  handler: BatchHandler<T>;
  /** Pause after an empty batch when `read` does not wait by itself (blockMs 0). */
  idleDelayMs: number;
  onError?: (err: unknown) => void;
  /** Runs once the loop has ended (release a dedicated connection). */
  onStop?: () => Promise<void> | void;
}

const ERROR_DELAY_MIN_MS = 100;
const ERROR_DELAY_MAX_MS = 5000;

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The consume() loop both queues share: read → handler → ack until stopped. A handler that throws
 * leaves its batch un-acked, so the queue redelivers it after `claimIdleMs`; read or ack failures
 * (backend down) back off and retry. stop() waits for the batch in hand to finish.
 */
export function startConsumerLoop<T>(options: ConsumerLoopOptions<T>): Subscription {
  const controller = new AbortController();
  const { signal } = controller;

  const run = async (): Promise<void> => {
    let errorDelay = 0;
    while (!signal.aborted) {
      let batch: QueueMessage<T>[];
      try {
        batch = await options.read(signal);
        errorDelay = 0;
      } catch (err) {
        if (signal.aborted) break;
        options.onError?.(err);
        errorDelay = errorDelay === 0 ? ERROR_DELAY_MIN_MS : Math.min(errorDelay * 2, ERROR_DELAY_MAX_MS);
        await pause(errorDelay, signal);
        continue;
      }
      if (batch.length === 0) {
        await pause(options.idleDelayMs, signal);
        continue;
      }
      try {
        await options.handler(batch);
      } catch (err) {
        // Not acked: the batch stays pending and comes back after claimIdleMs, with deliveries + 1.
        options.onError?.(err);
        continue;
      }
      try {
        await options.ack(batch.map((m) => m.id));
      } catch (err) {
        // At-least-once: an ack that did not land means the batch is delivered again later.
        options.onError?.(err);
      }
    }
  };

  const done = run().finally(() => options.onStop?.());
  // The loop itself never rejects (errors go to onError); an onStop failure surfaces through stop().
  done.catch(() => {});
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      if (stopping === undefined) {
        controller.abort();
        stopping = done;
      }
      return stopping;
    },
  };
}
