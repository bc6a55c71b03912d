/**
 * Helpers for the HTTP edge tests: a raw-socket client (slow uploads, odd methods, exact bytes on
 * the wire) and a stand-in plugin with an authenticating hook and a body-reading route.
 */
import net from 'node:net';
import { definePlugin, errors, PrincipalKey } from '../plugin-api';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte written to the end of the response headers. */
  answeredAfterMs: number;
  /** Whether the server closed the connection (within `closeWithinMs`). */
  closed: boolean;
}

/** Parses one HTTP/1.1 response head and its Content-Length body out of raw text. */
function parse(
  raw: string,
): { status: number; headers: Record<string, string>; body: string; complete: boolean } | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = raw.slice(end + 4);
  const length = headers['content-length'] === undefined ? 0 : Number(headers['content-length']);
  return { status: Number(statusLine.split(' ')[1]), headers, body, complete: Buffer.byteLength(body) >= length };
}

/**
 * Writes `head` (and optionally `body` bytes) on a fresh socket and waits for a response; then waits
 * up to `closeWithinMs` for the server to close the connection. Rejects after `timeoutMs` without
 * an answer. The socket is destroyed afterwards.
 */
export function rawRequest(
  port: number,
  head: string,
  options: { body?: Buffer | string; timeoutMs?: number; closeWithinMs?: number } = {},
): Promise<RawResponse> {
  const { timeoutMs = 5000, closeWithinMs = 1000 } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = Date.now();
    let raw = '';
    let answered: ReturnType<typeof parse> & object;
    let answeredAt = 0;
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms (got ${JSON.stringify(raw.slice(0, 200))})`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...answered, answeredAfterMs: answeredAt - started, closed });
    };
    socket.on('error', () => {
      closed = true;
    });
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      const p = parse(raw);
      if (p && !answeredAt) answeredAt = Date.now();
      if (p?.complete && !answered) {
        answered = p;
        setTimeout(finish, closeWithinMs);
      }
    });
    socket.on('close', () => {
      closed = true;
      if (answered) finish();
      else if (!raw) {
        clearTimeout(timer);
        reject(new Error('connection closed without an answer'));
      }
    });
    socket.write(head);
    if (options.body !== undefined) socket.write(options.body);
  });
}

/** The bearer token the stand-in authenticator accepts. */
export const GOOD_TOKEN = 'edge-test-token';

/**
 * Authenticates `Authorization: Bearer edge-test-token` in `request.authenticate` (401 otherwise,
 * on routes with auth required) and counts the bodies its routes received.
 */
export function edgePlugin() {
  const seen = { bodies: 0 };
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'edge-test',
    version: '0.0.0',
    core: '*',
    routePrefix: '',
    hooks: [
      {
        phase: 'request.authenticate',
        appliesTo: (r) => r.pipeline && r.auth === 'required',
        handle(ctx, next) {
          if (ctx.get('authorization') !== `Bearer ${GOOD_TOKEN}`)
            throw errors.unauthorized('Send the test token.', 'invalid_api_key');
          PrincipalKey.set(ctx, { kind: 'api_key', subject: 'k', tenantId: 't', scopes: ['ai:invoke'] });
          return next();
        },
      },
    ],
    routes(router) {
      router.post('/v1/echo', (ctx) => {
        seen.bodies++;
        ctx.body = { bytes: ctx.request.rawBody?.length ?? 0 };
      });
      router.get('/v1/echo', (ctx) => {
        ctx.body = { ok: true };
      });
      router.get('/admin/v1/thing', (ctx) => {
        ctx.body = { ok: true };
      });
      router.get('/admin/v1/things/:id', (ctx) => {
        ctx.body = { id: (ctx as unknown as { params: { id: string } }).params.id };
      });
      router.get(
        '/admin/app',
        (ctx) => {
          ctx.type = 'html';
          ctx.body = '<!doctype html><p>app</p>';
        },
        { auth: 'none', headers: { 'content-security-policy': "default-src 'self'", 'cache-control': null } },
      );
    },
  });
  return { plugin, seen };
}
