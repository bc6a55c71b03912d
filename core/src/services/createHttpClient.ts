import { Agent, request, type Dispatcher } from 'undici';

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
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const dispatcher = new Agent({
    connections: options.connections ?? 128,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    pipelining: 1,
  });
  return {
    dispatcher,
    request: ((url: Parameters<typeof request>[0], opts?: Parameters<typeof request>[1]) =>
      request(url, { dispatcher, ...(opts ?? {}) } as Parameters<typeof request>[1])) as typeof request,
    close: () => dispatcher.close(),
  };
}
