/**
 * A mock OpenAI-compatible (and Anthropic-compatible) upstream: a real, lean HTTP server for the AI
 * plugin's tests and for the benchmark. Deterministic answers with usage, SSE streaming, and failure
 * injection (statuses with Retry-After, delays, dropped connections, streams cut mid-way, missing
 * usage) per request via `x-mock-*` headers or queued with `setFailure()` / `POST /_mock/failures`.
 *
 * Endpoints: POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models[/:id] (OpenAI);
 * POST /openai/deployments/:deployment/{chat/completions,embeddings}?api-version=… (Azure OpenAI);
 * POST /v1/messages, POST /v1/messages/count_tokens (Anthropic); GET /_mock/stats, POST|DELETE /_mock/failures, POST /_mock/reset.
 */
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicError, countTokens, messages } from './anthropic';
import { FailureQueue, failureFromHeaders, mergeFailure, type FailureSpec } from './failures';
import { chatCompletions, embeddings, getModel, listModels, openAiError } from './openai';
import type { Exchange, MockStats, MockUpstreamOptions, RecordedRequest } from './types';
import { sendJson } from './write';

export type { FailureSpec } from './failures';
export type { MockStats, MockUpstreamOptions, RecordedRequest } from './types';

export interface MockUpstream {
  /** `http://127.0.0.1:<port>` (append `/v1` for an OpenAI base URL). */
  url: string;
  port: number;
  /** Live counters (the same object is updated in place). */
  stats: MockStats;
  /** The last `options.record` requests, oldest first. */
  requests: RecordedRequest[];
  /** Emits `abort` (path) when a client goes away before its answer is complete, `request` (RecordedRequest). */
  events: EventEmitter;
  /** Queues a failure for the next matching request(s). */
  setFailure(spec: FailureSpec): void;
  clearFailures(): void;
  /** Zeroes the counters and forgets recorded requests. */
  reset(): void;
  /** Resolves once `stats.aborted` reaches `count` (or rejects after `timeoutMs`). */
  waitForAborts(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const emptyStats = (): MockStats => ({
  received: 0,
  inFlight: 0,
  maxInFlight: 0,
  requests: 0,
  streams: 0,
  aborted: 0,
  failed: 0,
  promptTokens: 0,
  completionTokens: 0,
  tokensServed: 0,
  partialCompletionTokens: 0,
});

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'mock-model'];

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const opts: Exchange['options'] = {
    latencyMs: options.latencyMs ?? 0,
    chunkDelayMs: options.chunkDelayMs ?? 0,
    completionTokens: options.completionTokens ?? 16,
    embeddingDimensions: options.embeddingDimensions ?? 8,
    models: options.models ?? DEFAULT_MODELS,
    record: options.record ?? 50,
    apiKey: options.apiKey,
  };
  const stats = emptyStats();
  const failures = new FailureQueue();
  const recorded: RecordedRequest[] = [];
  const events = new EventEmitter();
  let seq = 0;

  const control = (req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void => {
    const ex = { res } as Exchange;
    if (path === '/_mock/stats') return sendJson(ex, 200, { ...stats, pendingFailures: failures.size });
    if (path === '/_mock/reset' && req.method === 'POST') {
      reset();
      return sendJson(ex, 200, { ok: true });
    }
    if (path === '/_mock/failures' && req.method === 'POST') {
      const specs = Array.isArray(body) ? body : [body];
      for (const s of specs) failures.add(s as FailureSpec);
      return sendJson(ex, 200, { queued: failures.size });
    }
    if (path === '/_mock/failures' && req.method === 'DELETE') {
      failures.clear();
      return sendJson(ex, 200, { queued: 0 });
    }
    sendJson(ex, 404, { error: 'unknown control endpoint' });
  };

  const authorized = (req: IncomingMessage, style: 'openai' | 'azure' | 'anthropic'): boolean => {
    if (!opts.apiKey) return true;
    if (style === 'azure') return req.headers['api-key'] === opts.apiKey;
    if (style === 'anthropic') return req.headers['x-api-key'] === opts.apiKey;
    return req.headers.authorization === `Bearer ${opts.apiKey}`;
  };

  /** A masked key in the message, as OpenAI does: the gateway must not pass it on. */
  const unauthorized = (ex: Exchange, style: 'openai' | 'azure' | 'anthropic'): void => {
    const sent = String(
      ex.req.headers.authorization ?? ex.req.headers['api-key'] ?? ex.req.headers['x-api-key'] ?? '',
    ).replace(/^Bearer /, '');
    const masked = sent.length > 8 ? `${sent.slice(0, 7)}***${sent.slice(-4)}` : '***';
    if (style === 'anthropic') return anthropicError(ex, 401, 'invalid x-api-key');
    openAiError(
      ex,
      401,
      `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      'invalid_api_key',
    );
  };

  const dispatch = (ex: Exchange): void => {
    const { path, req } = ex;
    const post = req.method === 'POST';
    if (path.startsWith('/openai/deployments/')) {
      const rest = path.slice('/openai/deployments/'.length);
      const slash = rest.indexOf('/');
      const deployment = decodeURIComponent(rest.slice(0, slash));
      const op = rest.slice(slash + 1);
      if (!ex.query.get('api-version'))
        return openAiError(ex, 404, 'Resource not found', 'invalid_request_error', '404');
      if (!authorized(req, 'azure')) return unauthorized(ex, 'azure');
      if (post && op === 'chat/completions') return chatCompletions(ex, deployment);
      if (post && op === 'embeddings') return embeddings(ex, deployment);
      return openAiError(ex, 404, 'Resource not found', 'invalid_request_error', '404');
    }
    if (post && path === '/v1/messages') {
      if (!authorized(req, 'anthropic')) return unauthorized(ex, 'anthropic');
      return messages(ex);
    }
    if (post && path === '/v1/messages/count_tokens') {
      if (!authorized(req, 'anthropic')) return unauthorized(ex, 'anthropic');
      return countTokens(ex);
    }
    if (!authorized(req, 'openai')) return unauthorized(ex, 'openai');
    if (post && path === '/v1/chat/completions') return chatCompletions(ex);
    if (post && path === '/v1/embeddings') return embeddings(ex);
    if (req.method === 'GET' && path === '/v1/models') return listModels(ex);
    if (req.method === 'GET' && path.startsWith('/v1/models/'))
      return getModel(ex, decodeURIComponent(path.slice('/v1/models/'.length)));
    openAiError(ex, 404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error', null);
  };

  /** Applies the failures that happen before a normal answer: drop, delay, error status. */
  const run = (ex: Exchange): void => {
    const f = ex.failure;
    if (f?.drop) {
      stats.failed++;
      ex.selfClosed = true;
      ex.req.socket.destroy();
      return;
    }
    if (f?.status && f.status >= 400) {
      const headers: Record<string, string> = {};
      if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
      if (f.retryAfterMs !== undefined) headers['retry-after-ms'] = String(f.retryAfterMs);
      const message =
        f.message ??
        (f.status === 429
          ? 'Rate limit reached for requests'
          : f.status >= 500
            ? 'The server had an error while processing your request.'
            : 'Injected failure');
      if (ex.path === '/v1/messages') return anthropicError(ex, f.status, message, undefined, headers);
      const type = f.status === 429 ? 'requests' : f.status >= 500 ? 'server_error' : 'invalid_request_error';
      return openAiError(ex, f.status, message, type, f.status === 429 ? 'rate_limit_exceeded' : null, headers);
    }
    dispatch(ex);
  };

  const server = http.createServer((req, res) => {
    const q = req.url!.indexOf('?');
    const path = q === -1 ? req.url! : req.url!.slice(0, q);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          return sendJson({ res } as Exchange, 400, {
            error: {
              message: 'We could not parse the JSON body of your request.',
              type: 'invalid_request_error',
              param: null,
              code: null,
            },
          });
        }
      }
      if (path.startsWith('/_mock/')) return control(req, res, path, body);
      stats.received++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      res.once('close', () => stats.inFlight--);
      const ex: Exchange = {
        req,
        res,
        path,
        query: new URLSearchParams(q === -1 ? '' : req.url!.slice(q + 1)),
        body,
        failure: mergeFailure(
          failures.take(path, typeof body.model === 'string' ? body.model : undefined),
          failureFromHeaders(req.headers),
        ),
        options: opts,
        stats,
        seq: ++seq,
      };
      if (opts.record > 0) {
        const r: RecordedRequest = { method: req.method!, url: req.url!, headers: req.headers, body };
        recorded.push(r);
        if (recorded.length > opts.record) recorded.shift();
        events.emit('request', r);
      }
      res.once('close', () => {
        if (!res.writableFinished && !ex.selfClosed) {
          stats.aborted++;
          events.emit('abort', path);
        }
      });
      const delay = opts.latencyMs + (ex.failure?.delayMs ?? 0);
      if (delay > 0) {
        const timer = setTimeout(() => run(ex), delay);
        res.once('close', () => clearTimeout(timer));
      } else run(ex);
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  function reset(): void {
    // Requests still open stay counted in flight: they decrement when they close.
    Object.assign(stats, emptyStats(), { inFlight: stats.inFlight, maxInFlight: stats.inFlight });
    recorded.length = 0;
    failures.clear();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    requests: recorded,
    events,
    setFailure: (spec) => failures.add(spec),
    clearFailures: () => failures.clear(),
    reset,
    waitForAborts(count, timeoutMs = 5000) {
      if (stats.aborted >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('abort', check);
          reject(new Error(`mock upstream saw ${stats.aborted} aborted requests, expected ${count}`));
        }, timeoutMs);
        const check = () => {
          if (stats.aborted >= count) {
            clearTimeout(timer);
            events.off('abort', check);
            resolve();
          }
        };
        events.on('abort', check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
