import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis settings for the gateway. The goal: when Redis is down, calls reject within about a second
 * (so rate limits can fail open or closed and health checks turn red) instead of piling up; when Redis
 * comes back, the client reconnects by itself.
 *
 * - The offline queue stays on, so commands issued while the first connection is being made (startup)
 *   simply wait for it instead of failing.
 * - `maxRetriesPerRequest: 1` with reconnect delays capped at 500 ms flushes queued commands with an
 *   error after at most two reconnect attempts.
 * - `connectTimeout` bounds a connect to an unresponsive host; `commandTimeout` bounds any single
 *   command, covering a connection that died without a TCP reset (the queue would otherwise wait for it).
 */
export const gatewayRedisOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  connectTimeout: 1000,
  commandTimeout: 1000,
  retryStrategy: (times) => Math.min(times * 50, 500),
};

/**
 * Options for connections that run XREADGROUP BLOCK: no command timeout (the block itself may be
 * longer), but ioredis' blocking-command timer resolves a block on a dead connection as "no messages".
 */
export const blockingRedisOptions: RedisOptions = {
  commandTimeout: undefined,
  blockingTimeout: 60_000,
  blockingTimeoutGrace: 2_000,
};

/** Creates a client with the gateway settings and an error listener (errors surface as rejected calls). */
export function createRedisConnection(url: string, overrides?: RedisOptions, onError?: (err: Error) => void): Redis {
  const client = new Redis(url, { ...gatewayRedisOptions, ...overrides });
  listenForErrors(client, onError);
  return client;
}

/** A duplicate of `client` (same server and settings) with an error listener attached. */
export function duplicateConnection(client: Redis, overrides?: RedisOptions, onError?: (err: Error) => void): Redis {
  const copy = client.duplicate(overrides);
  listenForErrors(copy, onError);
  return copy;
}

/**
 * Without an 'error' listener ioredis prints every connection error; with one, connection errors are
 * only reported here, and callers see them as rejected promises.
 */
export function listenForErrors(client: Redis, onError?: (err: Error) => void): void {
  client.on('error', (err: Error) => onError?.(err));
}

/** Closes a connection: a polite QUIT when it is up, otherwise an immediate disconnect. */
export async function closeConnection(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: the connection went away while quitting.
    }
  }
  client.disconnect();
}
