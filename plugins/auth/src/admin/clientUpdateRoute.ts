import type { z } from 'zod';
import { errors, validated, type PluginRouter } from '@aihub/core/plugin-api';
import type { AuthRuntime } from '../runtime';
import { toClientView } from './clientRoutes';
import { audit, authorizeTenant, checkDelegation, checkModelsWithinTenant, checkTargetRank } from './common';
import { clientParams, clientShapeIssues, clientView, updateClientBody } from './schemas';
import { AuthErrors } from '../errors';

const removed = (before: readonly string[], after: readonly string[] | undefined) =>
  after !== undefined && before.some((x) => !after.includes(x));

/**
 * `PATCH …/oauth-clients/:clientId`: name, grant types, redirect URIs and scopes. What would change
 * who holds the client's secret (the authentication method), what it acts as (role) or who may
 * use it (first party) is fixed: register a new client for that. Taking anything away (a scope, a
 * grant type, a redirect URI) also deletes the client's grants, codes and refresh tokens, so
 * nothing issued under the broader settings can mint new tokens; access tokens already issued run
 * out within their (short) lifetime.
 */
export function clientUpdateRoute(router: PluginRouter, rt: () => AuthRuntime, base: string, tag: string): void {
  router.patch(
    `${base}/:clientId`,
    async (ctx) => {
      const r = rt();
      const { tenantId, clientId } = validated<unknown, z.output<typeof clientParams>>(ctx).params;
      const body = ctx.request.body as z.output<typeof updateClientBody>;
      const caller = await authorizeTenant(r, ctx, 'oauth-clients:write', tenantId);
      const current = await r.clients.get(tenantId, clientId);
      if (!current) throw AuthErrors.create('oauth_client_not_found', 'No such OAuth client in this tenant.');
      checkTargetRank(caller, { role: current.role, superadmin: current.firstParty }, 'OAuth client');
      checkDelegation(caller, { scopes: body.scopes, what: 'OAuth client' });
      const grantTypes = body.grant_types ? [...new Set(body.grant_types)] : undefined;
      const merged = {
        grant_types: grantTypes ?? current.grantTypes,
        redirect_uris: body.redirect_uris ?? current.redirectUris,
        token_endpoint_auth_method: current.tokenEndpointAuthMethod,
      };
      const [issue] = clientShapeIssues(merged);
      if (issue)
        throw errors.badRequest(
          `${issue.message}; send the fields that go together in one PATCH.`,
          'invalid_client_settings',
          issue.path.join('.'),
        );
      await checkModelsWithinTenant(r, tenantId, body.allowed_models);
      // Narrowing the models revokes grants too: refresh tokens minted under the wider list would
      // otherwise mint access tokens carrying it.
      const narrowing =
        removed(current.scopes, body.scopes) ||
        removed(current.grantTypes, grantTypes) ||
        removed(current.redirectUris, body.redirect_uris) ||
        (body.allowed_models !== undefined &&
          body.allowed_models !== null &&
          (current.allowedModels === null || removed(current.allowedModels, body.allowed_models)));
      const changed = await r.clients.update(
        tenantId,
        clientId,
        {
          name: body.name,
          grantTypes,
          redirectUris: body.redirect_uris,
          postLogoutRedirectUris: body.post_logout_redirect_uris,
          scopes: body.scopes ? [...new Set(body.scopes)] : undefined,
          allowedModels:
            body.allowed_models === undefined
              ? undefined
              : body.allowed_models === null
                ? null
                : [...new Set(body.allowed_models)],
          // Tokens issued from now on carry the new pin; those already issued keep theirs until they expire.
          apiVersion: body.api_version,
        },
        narrowing,
      );
      if (!changed) throw AuthErrors.create('oauth_client_not_found', 'No such OAuth client in this tenant.');
      const after = toClientView(changed.after);
      await audit(r, ctx, {
        tenantId,
        action: 'oauth_client.update',
        targetType: 'oauth_client',
        targetId: clientId,
        before: toClientView(changed.before),
        after: { ...after, grants_revoked: narrowing },
      });
      ctx.body = after;
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary:
        "Change an OAuth client's name, grant types, redirect URIs, scopes, allowed models or API version pin (taking any away revokes its grants and refresh tokens)",
      schema: {
        params: clientParams,
        body: updateClientBody,
        responses: { 200: clientView },
        tag,
        operationId: 'updateOAuthClient',
      },
    },
  );
}
