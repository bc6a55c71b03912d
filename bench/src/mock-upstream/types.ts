import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FailureSpec } from './failures';

/** Counters of what the mock actually served (the usage tests compare the gateway's records with these). */
export interface MockStats {
  /** Requests received (any path, control endpoints excluded). */
  received: number;
  /** Requests received and not yet answered or closed (what the caller holds in flight here). */
  inFlight: number;
  /** The highest `inFlight` seen since the start or the last reset. */
  maxInFlight: number;
  /** Successful (2xx) answers sent completely. */
  requests: number;
  /** Streams among `requests`. */
  streams: number;
  /** Requests whose client went away before the answer was complete (the gateway aborted them). */
  aborted: number;
  /** Requests answered with an injected error status, dropped, or cut mid-stream. */
  failed: number;
  /** Tokens of completely served answers (reported in usage or not). */
  promptTokens: number;
  completionTokens: number;
  tokensServed: number;
  /** Completion tokens written in streams that did not finish (cut or aborted). */
  partialCompletionTokens: number;
}

export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface MockUpstreamOptions {
  /** Port to listen on (0: a free one). */
  port?: number;
  host?: string;
  /** Delay before the response headers of every request. */
  latencyMs?: number;
  /** Delay between stream chunks. */
  chunkDelayMs?: number;
  /** Completion length in tokens (words) unless `max_tokens` is lower. */
  completionTokens?: number;
  /** Embedding vector size unless the request asks for `dimensions`. */
  embeddingDimensions?: number;
  /** When set, requests must carry it (Bearer / api-key / x-api-key), else 401 like the real APIs. */
  apiKey?: string;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /** How many recent requests to keep in `requests` for assertions (0 for benchmarks). */
  record?: number;
}

/** Per-request context handed to the endpoint handlers. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  failure: FailureSpec | undefined;
  options: Required<Omit<MockUpstreamOptions, 'apiKey' | 'port' | 'host'>> & { apiKey?: string };
  stats: MockStats;
  /** A per-process sequence number for ids. */
  seq: number;
  /** Set when the mock itself closed the connection (an injected failure, not a client abort). */
  selfClosed?: boolean;
}
