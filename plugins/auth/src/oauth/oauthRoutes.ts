import { CoreErrors, type GatewayContext, type PluginRouter } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { audit, callerOf } from '../admin/common';
import { rotateBody } from '../admin/schemas';
import type { AuthRuntime } from '../runtime';
import { interactionRoutes } from './interactions';
import { AuthErrors } from '../errors';

const keyView = z.object({
  kid: z.string(),
  alg: z.string(),
  status: z.string(),
  created_at: z.string(),
  retire_after: z.string().nullable(),
});

/**
 * The authorization server's routes: the login page first (so its paths win over the catch-all),
 * then every /oauth/* path and the two discovery documents handed to oidc-provider untouched (no
 * body parsing, no pipeline hooks), and the superadmin signing-key API.
 */
export function oauthRoutes(router: PluginRouter, rt: () => AuthRuntime): void {
  interactionRoutes(router, rt);
  const handle = (ctx: GatewayContext) => {
    const oauth = rt().oauth;
    if (!oauth) throw AuthErrors.create('oauth_disabled', 'The OAuth server is disabled on this gateway.');
    return oauth.handle(ctx);
  };
  const raw = { auth: 'none' as const, body: 'none' as const, pipeline: false, errors: 'openai' as const };
  router.all('/oauth/{*rest}', handle, { ...raw, summary: 'OAuth 2.0 / OpenID Connect endpoints (oidc-provider)' });
  router.all('/.well-known/openid-configuration', handle, { ...raw, summary: 'OpenID Connect discovery' });
  router.all('/.well-known/oauth-authorization-server', handle, {
    ...raw,
    summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
  });

  router.get(
    '/admin/v1/auth/signing-keys',
    async (ctx) => {
      const r = rt();
      if (callerOf(ctx).superadmin !== true)
        throw CoreErrors.create('permission_denied', 'Only a platform superadmin may see signing keys.');
      if (!r.oauth) throw AuthErrors.create('oauth_disabled', 'The OAuth server is disabled on this gateway.');
      ctx.body = { data: await r.oauth.keyStore.list() };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: 'Signing keys of the authorization server (public metadata only)',
      schema: {
        responses: { 200: z.object({ data: z.array(keyView) }) },
        tag: 'OAuth',
        operationId: 'listSigningKeys',
      },
    },
  );

  router.post(
    '/admin/v1/auth/signing-keys/rotate',
    async (ctx) => {
      const r = rt();
      if (callerOf(ctx).superadmin !== true)
        throw CoreErrors.create('permission_denied', 'Only a platform superadmin may rotate signing keys.');
      if (!r.oauth) throw AuthErrors.create('oauth_disabled', 'The OAuth server is disabled on this gateway.');
      const body = (ctx.request.body ?? {}) as z.output<typeof rotateBody>;
      const grace = body.grace_seconds ?? r.ctx.config.oauth.signingKeyGraceSeconds;
      const key = await r.oauth.rotate(grace);
      await audit(r, ctx, {
        tenantId: null,
        action: 'auth.signing_key.rotate',
        targetType: 'signing_key',
        targetId: key.kid,
        after: { kid: key.kid, alg: key.alg, grace_seconds: grace },
      });
      ctx.status = 201;
      ctx.body = {
        kid: key.kid,
        alg: key.alg,
        status: key.status,
        created_at: key.createdAt.toISOString(),
        retire_after: null,
        previous_key_grace_seconds: grace,
      };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Rotate the signing key: new tokens use a new key, the previous one verifies for the grace period',
      schema: {
        body: rotateBody,
        responses: { 201: keyView.extend({ previous_key_grace_seconds: z.number() }) },
        tag: 'OAuth',
        operationId: 'rotateSigningKey',
      },
    },
  );
}
