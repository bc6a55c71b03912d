/**
 * PostgreSQL SQLSTATEs that pass on their own, so a batch is retried rather than dead-lettered:
 * - class 08 (connection exception: the server went away or refused us);
 * - 40001 serialization_failure, 40P01 deadlock_detected (retrying the transaction is the documented cure);
 * - 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (restart or recovery), 57P05
 *   idle_session_timeout (the server closed an idle pooled session; a new connection works);
 * - 53000 insufficient_resources, 53100 disk_full, 53200 out_of_memory, 53300 too_many_connections
 *   (the server recovers; dead-lettering usage records because a disk filled up would lose them);
 * - 25006 read_only_sql_transaction: we reached a standby or a primary being demoted — a failover in
 *   progress; the next connection reaches the new primary.
 * Deliberately not: 57P04 database_dropped, 53400 configuration_limit_exceeded — they do not pass by
 * waiting (the old `57P`/`53` prefixes retried them forever).
 */
const TRANSIENT_SQLSTATE = /^(08[0-9A-Z]{3}|40001|40P01|57P0[1235]|53[0-3]00|25006)$/;

/**
 * True for database failures that pass on their own (server down or restarting, network cut, pool
 * exhausted, lock contention): the batch is retried rather than split or dead-lettered.
 */
export function isTransientDbError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    name?: string;
    message?: string;
    parent?: { code?: string; message?: string };
    original?: { code?: string };
    code?: string;
  };
  const name = e.name ?? '';
  if (/^Sequelize(Connection|HostNotReachable|HostNotFound|InvalidConnection|AccessDenied|Timeout)/.test(name))
    return true;
  const code = e.parent?.code ?? e.original?.code ?? e.code ?? '';
  if (TRANSIENT_SQLSTATE.test(code)) return true;
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'EHOSTUNREACH',
      'ENOTFOUND',
      'SQLITE_BUSY',
      'SQLITE_LOCKED',
    ].includes(code)
  )
    return true;
  const msg = `${e.message ?? ''} ${e.parent?.message ?? ''}`;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|SQLITE_BUSY|database is locked|The database is closed/i.test(
    msg,
  );
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
