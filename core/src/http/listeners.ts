import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Context } from 'koa';
import type { CoreConfig } from '../config/coreSchema';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { CoreErrors } from '../errors/coreErrors';

/**
 * Node's server options from `server.*`. Timeouts are checked every second rather than Node's
 * default 30 s, so `headersTimeoutMs` bounds a slow-header client to within a second of it.
 */
export function serverOptions(server: CoreConfig['server']): http.ServerOptions {
  return {
    headersTimeout: server.headersTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, server.headersTimeoutMs),
  };
}

/** Listens, resolving once bound (rejecting with the bind error, e.g. EADDRINUSE). */
export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Per-address connection counting for `server.maxConnectionsPerIp`. */
export interface ConnectionsPerIp {
  attach(server: http.Server): void;
  /** True when the request came on a connection beyond its address's share (answered 429, closed). */
  over(req: http.IncomingMessage): boolean;
}

/**
 * Counts open connections per peer address. A connection beyond `max` stays open just long enough
 * to be told why (429 `too_many_connections`, then closed): cheaper for the client to understand
 * than a reset, and no body of it is read.
 */
export function connectionsPerIp(max: number): ConnectionsPerIp {
  const open = new Map<string, number>();
  const excess = new WeakSet<Socket>();
  return {
    attach(server) {
      server.on('connection', (socket: Socket) => {
        const ip = socket.remoteAddress ?? '';
        const count = (open.get(ip) ?? 0) + 1;
        open.set(ip, count);
        if (count > max) excess.add(socket);
        socket.once('close', () => {
          const left = (open.get(ip) ?? 1) - 1;
          if (left <= 0) open.delete(ip);
          else open.set(ip, left);
        });
      });
    },
    over: (req) => excess.has(req.socket),
  };
}

function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  // Compared in constant time; the length check leaks only the length, which the config fixes.
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when the Authorization header carries the bearer token (or no token is configured). */
function scrapeAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const m = /^bearer\s+(.+)$/i.exec(authorization ?? '');
  return m !== null && sameSecret(m[1].trim(), token);
}

const unauthorizedScrape = () =>
  CoreErrors.create(
    'invalid_token',
    'Metrics need `Authorization: Bearer <token>` with telemetry.metrics.bearerToken (Prometheus: authorization.credentials).',
    { headers: { 'www-authenticate': 'Bearer realm="metrics"' } },
  );

/** The metrics route on the API port: the exposition, behind the bearer token when one is set. */
export function metricsRoute(metrics: GatewayMetrics, bearerToken: string | undefined) {
  return async (ctx: Context): Promise<void> => {
    if (!scrapeAllowed(ctx.get('authorization') || undefined, bearerToken)) throw unauthorizedScrape();
    const { contentType, body } = await metrics.render(ctx.get('accept'));
    ctx.set('cache-control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  };
}

/**
 * A listener of its own for `/metrics` (`telemetry.metrics.port`, on `telemetry.metrics.host`,
 * 127.0.0.1 by default): Prometheus scrapes a port that is not exposed with the API. Answers the
 * metrics path only (bearer token still checked when set), plain JSON errors otherwise.
 */
export async function listenMetrics(
  metrics: GatewayMetrics,
  cfg: CoreConfig['telemetry']['metrics'],
): Promise<http.Server> {
  const answer = (
    res: http.ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', ...headers });
    res.end(
      JSON.stringify({
        error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', param: null, code },
      }),
    );
  };
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== cfg.path) return answer(res, 404, 'route_not_found', `Only ${cfg.path} is served on this port.`);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(res, 405, 'method_not_allowed', `Use GET on ${cfg.path}.`, { allow: 'GET, HEAD' });
    if (!scrapeAllowed(req.headers.authorization, cfg.bearerToken)) {
      const err = unauthorizedScrape();
      return answer(res, 401, err.code, err.message, err.headers);
    }
    metrics.render(req.headers.accept).then(
      ({ contentType, body }) => {
        res.writeHead(200, {
          'content-type': contentType,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => answer(res, 500, 'internal_error', 'The metrics could not be rendered; see the gateway log.'),
    );
  });
  await listen(server, cfg.port ?? 0, cfg.host);
  return server;
}

/** Node's parser errors that a client caused, with the status and stable code we answer them with. */
const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  // Headers or request not complete within headersTimeoutMs/requestTimeoutMs.
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    message: 'The request headers did not arrive in time. Send the whole request head at once.',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    message:
      'The request line or headers are too large. Send a shorter URL (move data into the body) or fewer/smaller headers.',
  },
};
const BAD_REQUEST = {
  status: 400,
  code: 'bad_request',
  message: 'The request could not be parsed as HTTP/1.1. Check the request line and headers.',
};

/**
 * Answers requests Node's HTTP parser refused (an over-long request line or headers, a malformed
 * request line) in the gateway's own error formats instead of Node's bare, body-less 400/431: the
 * RFC 9457 problem+json when the raw request line names an `/admin/` path, the OpenAI shape otherwise.
 * These never reach Koa, so nothing else would give them a body a client can read.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const known = CLIENT_ERRORS[err.code ?? ''] ?? BAD_REQUEST;
    const head = err.rawPacket ? err.rawPacket.subarray(0, 64).toString('latin1') : '';
    // Same rule as errorStyleFor: problem+json under /admin/, the OpenAI shape everywhere else.
    const openai = !/^[A-Z]+ \/admin\//.test(head);
    const body = openai
      ? JSON.stringify({
          error: { message: known.message, type: 'invalid_request_error', param: null, code: known.code },
        })
      : JSON.stringify({
          type: `https://aihub.dev/problems/${known.code}`,
          title: known.code.replace(/_/g, ' '),
          status: known.status,
          detail: known.message,
          code: known.code,
        });
    const type = openai ? 'application/json' : 'application/problem+json';
    socket.end(
      `HTTP/1.1 ${known.status} ${http.STATUS_CODES[known.status]}\r\nContent-Type: ${type}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
