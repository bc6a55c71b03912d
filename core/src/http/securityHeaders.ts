import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CoreConfig } from '../config/coreSchema';

/**
 * The Content-Security-Policy of responses that are data, not pages (admin API JSON, OAuth JSON):
 * nothing may load, nothing may frame them. HTML pages set their own strict policy.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * A strict policy for the gateway's own HTML pages (OAuth login and consent, the API docs): no
 * script, inline styles only, forms post to the same origin, never framed.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Headers of the admin API and the authentication pages: never cached (they carry keys, secrets,
 * tenant data), never framed (clickjacking), no referrer leaving with codes or ids in URLs. Handlers
 * and routes may override any of them (RouteOptions.headers, or ctx.set in the handler), e.g. the
 * console serves an app with a policy of its own.
 */
const SENSITIVE: readonly [string, string][] = [
  ['cache-control', 'no-store'],
  ['x-frame-options', 'DENY'],
  ['content-security-policy', API_CSP],
  ['referrer-policy', 'no-referrer'],
];

/**
 * The OAuth server's answers: the same, but its policy lets oidc-provider add the hash of the one
 * inline script it renders (form_post auto-submit) and sets no form-action, since browsers apply
 * form-action to the redirect to the client that follows a sign-in.
 */
const OAUTH: readonly [string, string][] = [
  ['cache-control', 'no-store'],
  ['x-frame-options', 'DENY'],
  [
    'content-security-policy',
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  ],
  ['referrer-policy', 'no-referrer'],
];

/** The sensitive headers a path gets (see SENSITIVE); `/v1` answers only get nosniff (lean hot path). */
function sensitiveHeaders(path: string): readonly [string, string][] | undefined {
  if (path.startsWith('/admin') || path.startsWith('/health/details')) return SENSITIVE;
  if (path.startsWith('/oauth')) return OAUTH;
  return undefined;
}

type CorsConfig = CoreConfig['server']['cors'];

/** The edge policy compiled once at boot from `server.hsts` and `server.cors`. */
export interface EdgeHeaders {
  /**
   * Sets the security headers of this response and the CORS headers for an allowed Origin; returns
   * true when it answered a CORS preflight itself (nothing else must run).
   */
  apply(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

/** Builds the edge headers from `server.hsts` and `server.cors` (see EdgeHeaders). */
export function edgeHeaders(server: Pick<CoreConfig['server'], 'hsts' | 'cors'>): EdgeHeaders {
  const hsts = server.hsts
    ? `max-age=${server.hsts.maxAgeSeconds}${server.hsts.includeSubDomains ? '; includeSubDomains' : ''}${server.hsts.preload ? '; preload' : ''}`
    : undefined;
  const cors = corsPolicy(server.cors);
  return {
    apply(req, res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      if (hsts !== undefined) res.setHeader('strict-transport-security', hsts);
      const extra = path.charCodeAt(1) === 118 /* v */ ? undefined : sensitiveHeaders(path);
      if (extra !== undefined) for (const [k, v] of extra) res.setHeader(k, v);
      const origin = req.headers.origin;
      return cors !== undefined && origin !== undefined ? cors(req, res, origin) : false;
    },
  };
}

/**
 * CORS for an allowlist of origins (exact match; `*` allows any origin without credentials).
 * Without origins there are no CORS headers at all: browsers keep the API same-origin.
 */
function corsPolicy(
  cfg: CorsConfig,
): ((req: IncomingMessage, res: ServerResponse, origin: string) => boolean) | undefined {
  if (cfg.origins.length === 0) return undefined;
  const any = cfg.origins.includes('*');
  const allowed = new Set(cfg.origins.map((o) => o.toLowerCase()));
  const methods = cfg.methods.map((m) => m.toUpperCase()).join(', ');
  const headers = cfg.headers.map((h) => h.toLowerCase());
  const allowHeaders = headers.join(', ');
  const expose = cfg.exposeHeaders.join(', ');
  return (req, res, origin) => {
    // Answers differ by Origin: caches must key on it, allowed or not.
    res.setHeader('vary', 'Origin');
    if (!any && !allowed.has(origin.toLowerCase())) return false;
    res.setHeader('access-control-allow-origin', any && !cfg.credentials ? '*' : origin);
    if (cfg.credentials) res.setHeader('access-control-allow-credentials', 'true');
    const preflightMethod = req.headers['access-control-request-method'];
    if (req.method !== 'OPTIONS' || preflightMethod === undefined) {
      if (expose) res.setHeader('access-control-expose-headers', expose);
      return false;
    }
    // A preflight: answered here, before routing and authentication (browsers send no credentials).
    res.setHeader('access-control-allow-methods', methods);
    if (allowHeaders) res.setHeader('access-control-allow-headers', allowHeaders);
    res.setHeader('access-control-max-age', String(cfg.maxAgeSeconds));
    res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    res.statusCode = 204;
    res.end();
    return true;
  };
}
