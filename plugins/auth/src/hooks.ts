import {
  CoreErrors,
  GatewayError,
  PrincipalKey,
  type GatewayContext,
  type HookDefinition,
  type Principal,
  type RouteInfo,
} from '@aihub/core/plugin-api';
import { AuthErrors } from './errors';
import type { Next } from 'koa';
import type { ApiKeyAuthenticator } from './keys/ApiKeyAuthenticator';
import type { AuthMetrics } from './metrics';
import type { OwnerGuard } from './owners/OwnerGuard';
import type { AuthFailureThrottle } from './throttle/AuthFailureThrottle';

/** Verifies JWT access tokens (the OAuth server's); absent when OAuth is disabled. */
export interface TokenVerifier {
  verify(token: string): Principal | Promise<Principal>;
}

/** Read per request: the services exist only once the plugin started (hooks are built before). */
export interface HookServices {
  readonly apiKeys: ApiKeyAuthenticator;
  readonly tokens?: TokenVerifier;
  /** Re-validates credentials of users against the user's current state (absent: no check). */
  readonly owners?: OwnerGuard;
  /** Failed authentications per client address (absent or disabled: no throttling). */
  readonly failures?: AuthFailureThrottle;
}

const missingCredentials = () =>
  CoreErrors.create(
    'invalid_api_key',
    "You didn't provide an API key. Send it as `Authorization: Bearer <key>` or `x-api-key: <key>`.",
    {
      headers: { 'www-authenticate': 'Bearer' },
    },
  );

const unrecognised = () =>
  CoreErrors.create(
    'invalid_api_key',
    'The credential is neither an AI Hub API key (`ahk_…`) nor an access token issued by this gateway; check the Authorization header.',
    {
      headers: { 'www-authenticate': 'Bearer' },
    },
  );

const throttled = (ms: number) => {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return AuthErrors.create(
    'too_many_auth_failures',
    `Too many failed authentication attempts from your address; retry in ${seconds} s with a valid key or token.`,
    {
      headers: { 'retry-after': String(seconds) },
    },
  );
};

/** `Bearer <token>` (scheme case-insensitive) without regex or lower-casing copies. */
export function bearerToken(header: string): string | undefined {
  if (header.length < 8) return undefined;
  const b = 'bearer';
  for (let i = 0; i < 6; i++) if ((header.charCodeAt(i) | 32) !== b.charCodeAt(i)) return undefined;
  if (header.charCodeAt(6) !== 32) return undefined;
  let start = 7;
  let end = header.length;
  while (start < end && header.charCodeAt(start) === 32) start++;
  while (end > start && header.charCodeAt(end - 1) === 32) end--;
  return start < end ? header.slice(start, end) : undefined;
}

/** The credential of a request: Authorization Bearer first, then x-api-key. */
export function presentedCredential(ctx: GatewayContext): string | undefined {
  const headers = ctx.req.headers;
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const token = bearerToken(authorization);
    if (token !== undefined) return token;
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  // An Authorization header of another scheme (Basic, …) is a credential we cannot accept.
  return authorization !== undefined ? '' : undefined;
}

/** Exactly three non-empty dot-separated parts (a JWS compact serialization). */
export function isJwtShaped(token: string): boolean {
  const a = token.indexOf('.');
  if (a <= 0) return false;
  const b = token.indexOf('.', a + 1);
  if (b <= a + 1) return false;
  return b < token.length - 1 && token.indexOf('.', b + 1) === -1;
}

/**
 * `request.authenticate`: API keys and JWT access tokens → PrincipalKey, re-validated against their
 * owner (OwnerGuard). A cached API key of a cached owner resolves synchronously, so the hook then
 * costs no extra promise. Malformed credentials and keys with a wrong checksum are refused before
 * any lookup. `request.authorize`: route scopes.
 *
 * Failure throttle: every 401 counts against the client address; once it is over its limit, its
 * refusals become 429 with Retry-After, and credentials that would need a lookup of a key id never
 * seen are refused without one. Cached valid credentials and known key ids are still served, so a
 * valid caller behind the same address is not throttled.
 */
export function authHooks(services: HookServices, metrics: AuthMetrics): HookDefinition[] {
  const resolve = (token: string, blocked: boolean): Principal | Promise<Principal> | undefined => {
    let result: Principal | Promise<Principal> | undefined;
    if (token.startsWith('ahk_')) result = services.apiKeys.authenticate(token, blocked ? 'known' : 'any');
    else {
      const verifier = services.tokens;
      if (verifier === undefined || !isJwtShaped(token)) {
        metrics.apiKeyInvalid.inc();
        throw unrecognised();
      }
      result = verifier.verify(token);
    }
    const owners = services.owners;
    if (owners === undefined || result === undefined) return result;
    return result instanceof Promise ? result.then((p) => owners.apply(p)) : owners.apply(result);
  };

  /** A 401 counts against the address; past the limit the refusal is a 429. */
  const refuse = (ctx: GatewayContext, err: unknown): never => {
    const failures = services.failures;
    if (failures !== undefined && failures.enabled && err instanceof GatewayError && err.status === 401) {
      const blockedMs = failures.failed(ctx.ip);
      if (blockedMs > 0) {
        metrics.throttled.inc();
        throw throttled(blockedMs);
      }
    }
    throw err;
  };

  const authenticate = (required: boolean) => (ctx: GatewayContext, next: Next) => {
    const token = presentedCredential(ctx);
    if (token === undefined) {
      if (required) {
        metrics.missing.inc();
        throw missingCredentials();
      }
      return next();
    }
    const failures = services.failures;
    // The address is resolved only while some address is blocked (or on a failure): not per request.
    const blockedMs = failures !== undefined && failures.anyBlocked ? failures.blockedFor(ctx.ip) : 0;
    let result: Principal | Promise<Principal> | undefined;
    try {
      if (token === '') {
        metrics.apiKeyInvalid.inc();
        throw unrecognised();
      }
      result = resolve(token, blockedMs > 0);
    } catch (err) {
      return refuse(ctx, err);
    }
    if (result === undefined) {
      metrics.throttled.inc();
      throw throttled(blockedMs);
    }
    if (result instanceof Promise) {
      return result.then(
        (principal) => {
          PrincipalKey.set(ctx, principal);
          return next();
        },
        (err: unknown) => refuse(ctx, err),
      );
    }
    PrincipalKey.set(ctx, result);
    return next();
  };

  return [
    {
      name: 'authenticate-required',
      phase: 'request.authenticate',
      appliesTo: (route: RouteInfo) => route.pipeline && route.auth === 'required',
      handle: authenticate(true),
    },
    {
      name: 'authenticate-optional',
      phase: 'request.authenticate',
      appliesTo: (route: RouteInfo) => route.pipeline && route.auth === 'optional',
      handle: authenticate(false),
    },
    {
      name: 'scopes',
      phase: 'request.authorize',
      appliesTo: (route: RouteInfo) => route.pipeline && route.auth !== 'none' && route.scopes.length > 0,
      handle(ctx, next) {
        const principal = PrincipalKey.get(ctx);
        if (principal === undefined) {
          metrics.missing.inc();
          throw missingCredentials();
        }
        if (principal.superadmin !== true) {
          const required = (ctx.state as { route?: RouteInfo }).route?.scopes ?? [];
          for (const scope of required) {
            if (!principal.scopes.includes(scope)) {
              metrics.insufficientScope.inc();
              throw CoreErrors.create(
                'insufficient_scope',
                `This credential lacks the \`${scope}\` scope needed here; use a key or token that has it.`,
                {
                  param: null,
                  headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
                  details: { missing_scope: scope },
                },
              );
            }
          }
        }
        return next();
      },
    },
  ];
}
