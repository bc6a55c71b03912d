import type { Dispatcher, request } from 'undici';
import { UndiciAgent, undiciIndex } from './undici';

/**
 * Outbound HTTP with keep-alive connection pools (undici). One Agent for the process: it keeps a pool
 * per origin, so provider calls reuse sockets instead of paying a TCP handshake per request.
 */
export interface HttpClient {
  readonly dispatcher: Dispatcher;
  request: typeof request;
  close(): Promise<void>;
}

export interface HttpClientOptions {
  /**
   * Largest number of connections per origin (default: no limit). A cap here queues calls behind
   * slow upstreams: at 128 connections and completions of 1 s, one origin served ~120 req/s however
   * many clients waited. Idle sockets still close after `keepAliveTimeoutMs`.
   */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const dispatcher = new UndiciAgent({
    connections: options.connections ?? null,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    pipelining: 1,
  });
  return {
    dispatcher,
    request: ((url: Parameters<typeof request>[0], opts?: Parameters<typeof request>[1]) =>
      // The whole of undici only here (its URL handling): few callers, none on the serving path.
      undiciIndex().request(url, { dispatcher, ...(opts ?? {}) } as Parameters<typeof request>[1])) as typeof request,
    close: () => dispatcher.close(),
  };
}
