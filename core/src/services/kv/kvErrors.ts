/**
 * Argument checks and errors shared by both KeyValueStore implementations, so that the memory store
 * rejects exactly what Redis would reject (the contract tests hold both to the same behaviour).
 */

/** Validates a TTL and rounds it up to whole milliseconds (Redis PX/PEXPIRE take integers). */
export function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`);
  }
  return Math.ceil(ttlMs);
}

/** Validates an increment: Redis INCRBY only accepts integers. */
export function checkIncrement(by: number): number {
  if (!Number.isSafeInteger(by)) {
    throw new RangeError(`incr() takes a safe integer increment, got ${String(by)}`);
  }
  return by;
}

export function notAnInteger(key?: string): Error {
  return new Error(
    `${key === undefined ? 'The value' : `The value of key "${key}"`} is not an integer or out of range`,
  );
}

export function storeClosed(kind: 'memory' | 'redis'): Error {
  return new Error(`The ${kind} KeyValueStore is closed; create a new one (close() was called during shutdown)`);
}

/** An empty prefix and pattern would purge every key of the server (other applications' too). */
export function refuseEmptyPurge(prefix: string, pattern: string): void {
  if (prefix === '' && pattern === '') {
    throw new Error('deleteByPrefix("") on a store without a prefix would delete every key; give a prefix');
  }
}
