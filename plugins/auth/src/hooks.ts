import { GatewayError, PrincipalKey, type GatewayContext, type HookDefinition, type Principal, type RouteInfo } from '@aihub/core/plugin-api';
import type { Next } from 'koa';
import type { ApiKeyAuthenticator } from './keys/ApiKeyAuthenticator';
import type { AuthMetrics } from './metrics';

/** Verifies JWT access tokens (the OAuth server's); absent when OAuth is disabled. */
export interface TokenVerifier {
  verify(token: string): Principal | Promise<Principal>;
}

/** Read per request: the services exist only once the plugin started (hooks are built before). */
export interface HookServices {
  readonly apiKeys: ApiKeyAuthenticator;
  readonly tokens?: TokenVerifier;
}

const missingCredentials = () =>
  new GatewayError("You didn't provide an API key. Send it as `Authorization: Bearer <key>` or `x-api-key: <key>`.", {
    code: 'invalid_api_key',
    status: 401,
    headers: { 'www-authenticate': 'Bearer' },
  });

const unrecognised = () =>
  new GatewayError('The credential is neither an AI Hub API key (`ahk_…`) nor an access token issued by this gateway; check the Authorization header.', {
    code: 'invalid_api_key',
    status: 401,
    headers: { 'www-authenticate': 'Bearer' },
  });

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
 * `request.authenticate`: API keys and JWT access tokens → PrincipalKey. A cached API key resolves
 * synchronously, so the hook then costs no extra promise. `request.authorize`: route scopes.
 */
export function authHooks(services: HookServices, metrics: AuthMetrics): HookDefinition[] {
  const resolve = (token: string): Principal | Promise<Principal> => {
    if (token.startsWith('ahk_')) return services.apiKeys.authenticate(token);
    const verifier = services.tokens;
    if (verifier !== undefined && isJwtShaped(token)) return verifier.verify(token);
    metrics.apiKeyInvalid.inc();
    throw unrecognised();
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
    if (token === '') {
      metrics.apiKeyInvalid.inc();
      throw unrecognised();
    }
    const result = resolve(token);
    if (result instanceof Promise) {
      return result.then((principal) => {
        PrincipalKey.set(ctx, principal);
        return next();
      });
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
              throw new GatewayError(`This credential lacks the \`${scope}\` scope needed here; use a key or token that has it.`, {
                code: 'insufficient_scope',
                status: 403,
                param: null,
                headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
                details: { missing_scope: scope },
              });
            }
          }
        }
        return next();
      },
    },
  ];
}
