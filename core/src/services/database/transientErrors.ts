/**
 * True for database failures that pass on their own (server down or restarting, network cut, pool
 * exhausted, lock contention): the batch is retried rather than split or dead-lettered.
 */
export function isTransientDbError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; message?: string; parent?: { code?: string; message?: string }; original?: { code?: string }; code?: string };
  const name = e.name ?? '';
  if (/^Sequelize(Connection|HostNotReachable|HostNotFound|InvalidConnection|AccessDenied|Timeout)/.test(name)) return true;
  const code = e.parent?.code ?? e.original?.code ?? e.code ?? '';
  if (/^(08|57P|53|40001|40P01)/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code)) return true;
  const msg = `${e.message ?? ''} ${e.parent?.message ?? ''}`;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|SQLITE_BUSY|database is locked|The database is closed/i.test(msg);
}

/** Waits that a stopping consumer can cut short (linger between batches, backoff between retries). */
export class InterruptibleSleep {
  private wake?: () => void;

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Ends the current wait, if any, at once. */
  interrupt(): void {
    this.wake?.();
  }
}

export interface RetryTransientOptions {
  initialMs: number;
  maxMs: number;
  /** Backoff waits go through it, so stop() can cut them short. */
  sleeper: InterruptibleSleep;
  /** Once true, a failure is thrown instead of retried (the batch stays unacked for redelivery). */
  stopping: () => boolean;
  /** Before each wait; `first` is true for the first retry of this call (log once, count each). */
  onRetry: (err: unknown, first: boolean) => void;
  /** A failure that is not retried (not transient, or stopping), before it is thrown. */
  onGiveUp: (err: unknown) => void;
  /** After a success that needed at least one retry. */
  onResumed: () => void;
}

/**
 * Runs `fn` until it succeeds while the database is unreachable: transient failures
 * ({@link isTransientDbError}) are retried with exponential backoff (`initialMs` doubling up to
 * `maxMs`); anything else, or any failure once stopping, is thrown. The queue consumers use it so a
 * database outage leaves batches unacked in the queue instead of failing them.
 */
export async function retryTransientDb<T>(fn: () => Promise<T>, opts: RetryTransientOptions): Promise<T> {
  let delay = opts.initialMs;
  let retried = false;
  for (;;) {
    try {
      const result = await fn();
      if (retried) opts.onResumed();
      return result;
    } catch (err) {
      if (!isTransientDbError(err) || opts.stopping()) {
        opts.onGiveUp(err);
        throw err;
      }
      opts.onRetry(err, !retried);
      retried = true;
      await opts.sleeper.sleep(delay);
      delay = Math.min(opts.maxMs, delay * 2);
    }
  }
}
