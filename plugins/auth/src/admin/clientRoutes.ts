import { API_VERSIONS, CoreErrors, validated, type PluginRouter, type TenantRole } from '@aihub/core/plugin-api';
import type { z } from 'zod';
import type { ClientRecord } from '../oauth/ClientStore';
import type { AuthRuntime } from '../runtime';
import { clientUpdateRoute } from './clientUpdateRoute';
import { actorId, audit, authorizeTenant, checkDelegation, checkModelsWithinTenant, checkTargetRank } from './common';
import {
  clientParams,
  clientView,
  createClientBody,
  createdClientView,
  listClientsQuery,
  listView,
  tenantParams,
} from './schemas';
import { AuthErrors } from '../errors';

type ClientView = z.output<typeof clientView>;

export function toClientView(c: ClientRecord): ClientView {
  return {
    client_id: c.clientId,
    tenant_id: c.tenantId,
    name: c.name,
    grant_types: c.grantTypes,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    scopes: c.scopes,
    role: c.role,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    first_party: c.firstParty,
    allowed_models: c.allowedModels,
    api_version: c.apiVersion,
    created_by: c.createdBy,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

/** A new client's default pin: the tenant's (when it names a released version), else the current version. */
async function tenantApiVersion(r: AuthRuntime, tenantId: string): Promise<string> {
  const pin = (await r.tenancy().getTenant(tenantId))?.settings?.apiVersion;
  return typeof pin === 'string' && API_VERSIONS.includes(pin) ? pin : API_VERSIONS[API_VERSIONS.length - 1];
}

const notFound = () => AuthErrors.create('oauth_client_not_found', 'No such OAuth client in this tenant.');

/** /admin/v1/tenants/:tenantId/oauth-clients — create (secret shown once), list, get, update, delete. */
export function clientRoutes(router: PluginRouter, rt: () => AuthRuntime): void {
  const base = '/admin/v1/tenants/:tenantId/oauth-clients';
  const tag = 'OAuth clients';

  router.post(
    base,
    async (ctx) => {
      const r = rt();
      const { tenantId } = validated<unknown, z.output<typeof tenantParams>>(ctx).params;
      const body = ctx.request.body as z.output<typeof createClientBody>;
      const caller = await authorizeTenant(r, ctx, 'oauth-clients:write', tenantId);
      const scopes = body.scopes ?? ['ai:invoke'];
      const role = (body.role ?? 'developer') as TenantRole;
      checkDelegation(caller, { role, scopes, what: 'OAuth client' });
      if (body.first_party && caller.superadmin !== true)
        throw CoreErrors.create('permission_denied', 'Only a platform superadmin may create a first-party client.');
      await checkModelsWithinTenant(r, tenantId, body.allowed_models);
      const apiVersion = body.api_version ?? (await tenantApiVersion(r, tenantId));
      const { record, secret } = await r.clients.create({
        tenantId,
        name: body.name,
        grantTypes: [...new Set(body.grant_types)],
        redirectUris: body.redirect_uris ?? [],
        postLogoutRedirectUris: body.post_logout_redirect_uris ?? [],
        scopes,
        role,
        tokenEndpointAuthMethod: body.token_endpoint_auth_method ?? 'client_secret_basic',
        firstParty: body.first_party === true,
        allowedModels: body.allowed_models ? [...new Set(body.allowed_models)] : null,
        apiVersion,
        createdBy: actorId(caller),
      });
      const view = toClientView(record);
      await audit(r, ctx, {
        tenantId,
        action: 'oauth_client.create',
        targetType: 'oauth_client',
        targetId: record.clientId,
        after: view,
      });
      ctx.status = 201;
      ctx.set('cache-control', 'no-store');
      ctx.body = { ...view, client_secret: secret };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Register an OAuth client (the secret is in this response only)',
      schema: {
        params: tenantParams,
        body: createClientBody,
        responses: { 201: createdClientView },
        tag,
        operationId: 'createOAuthClient',
      },
    },
  );

  router.get(
    base,
    async (ctx) => {
      const r = rt();
      const { query, params } = validated<z.output<typeof listClientsQuery>, z.output<typeof tenantParams>>(ctx);
      await authorizeTenant(r, ctx, 'oauth-clients:read', params.tenantId);
      const page = await r.clients.list(params.tenantId, {
        cursor: query.cursor,
        limit: query.limit ?? 50,
        q: query.q,
      });
      ctx.body = { data: page.data.map(toClientView), next_cursor: page.nextCursor };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: 'List OAuth clients (never their secrets)',
      schema: {
        params: tenantParams,
        query: listClientsQuery,
        responses: { 200: listView(clientView) },
        tag,
        operationId: 'listOAuthClients',
      },
    },
  );

  router.get(
    `${base}/:clientId`,
    async (ctx) => {
      const r = rt();
      const { tenantId, clientId } = validated<unknown, z.output<typeof clientParams>>(ctx).params;
      await authorizeTenant(r, ctx, 'oauth-clients:read', tenantId);
      const record = await r.clients.get(tenantId, clientId);
      if (!record) throw notFound();
      ctx.body = toClientView(record);
    },
    {
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: 'Get an OAuth client',
      schema: { params: clientParams, responses: { 200: clientView }, tag, operationId: 'getOAuthClient' },
    },
  );

  clientUpdateRoute(router, rt, base, tag);

  router.delete(
    `${base}/:clientId`,
    async (ctx) => {
      const r = rt();
      const { tenantId, clientId } = validated<unknown, z.output<typeof clientParams>>(ctx).params;
      const caller = await authorizeTenant(r, ctx, 'oauth-clients:write', tenantId);
      const current = await r.clients.get(tenantId, clientId);
      if (!current) throw notFound();
      checkTargetRank(caller, { role: current.role, superadmin: current.firstParty }, 'OAuth client');
      const record = await r.clients.delete(tenantId, clientId);
      if (!record) throw notFound();
      // Its refresh tokens and grants are gone with it; its JWT access tokens are denied everywhere.
      await r.oauth?.denyClient(clientId);
      const view = toClientView(record);
      await audit(r, ctx, {
        tenantId,
        action: 'oauth_client.delete',
        targetType: 'oauth_client',
        targetId: clientId,
        before: view,
      });
      ctx.body = view;
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Delete an OAuth client, its grants and refresh tokens; its access tokens stop working',
      schema: { params: clientParams, responses: { 200: clientView }, tag, operationId: 'deleteOAuthClient' },
    },
  );
}
