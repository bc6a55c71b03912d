import {
  CoreErrors,
  enforcePlanBounds,
  errors,
  validated,
  type PluginRouter,
  type Principal,
  type TenantRole,
} from '@aihub/core/plugin-api';
import type { z } from 'zod';
import type { ApiKeyRecord } from '../keys/ApiKeyStore';
import type { KeySort } from '../keys/keyQuery';
import type { AuthRuntime } from '../runtime';
import {
  actorId,
  audit,
  authorizeTenant,
  checkDelegation,
  checkModelsWithinTenant,
  checkTargetRank,
  roleRank,
} from './common';
import { keyNotFound, keyView } from './keyView';
import { rotateKeyRoute } from './rotateKeyRoute';
import { suspendKeyRoutes } from './suspendKeyRoutes';
import { targetKey } from './targetKey';
import {
  apiKeyListItem,
  apiKeyView,
  createKeyBody,
  createdKeyView,
  keyListView,
  keyParams,
  listKeysQuery,
  tenantParams,
  updateKeyBody,
} from './schemas';
import { AuthErrors } from '../errors';

/**
 * Key views with their owners named: one batched, tenant-scoped lookup for all of them (a page of
 * the list), so the console shows e-mails without a request per row or loading the member list.
 */
async function withOwners(r: AuthRuntime, tenantId: string, records: ApiKeyRecord[]) {
  const now = r.ctx.clock.now();
  const owners = await r.tenancy().memberLabels(
    tenantId,
    records.flatMap((k) => (k.userId ? [k.userId] : [])),
  );
  return records.map((k) => {
    const owner = k.userId ? owners.get(k.userId) : undefined;
    return { ...keyView(k, now), owner: owner ? { email: owner.email, display_name: owner.displayName } : null };
  });
}

/** /admin/v1/tenants/:tenantId/api-keys — create (key shown once), list, get, update, rotate, suspend, resume, revoke. */
export function keyRoutes(router: PluginRouter, rt: () => AuthRuntime): void {
  const base = '/admin/v1/tenants/:tenantId/api-keys';
  const tag = 'API keys';

  router.post(
    base,
    async (ctx) => {
      const r = rt();
      const { tenantId } = validated<unknown, z.output<typeof tenantParams>>(ctx).params;
      const body = ctx.request.body as z.output<typeof createKeyBody>;
      const caller = await authorizeTenant(r, ctx, 'keys:write', tenantId);
      const scopes = body.scopes ?? r.ctx.config.apiKeys.defaultScopes;
      const role = (body.role ?? 'developer') as TenantRole;
      checkDelegation(caller, { role, scopes, superadmin: body.superadmin, what: 'key' });
      // A key's own limits and budgets: the platform's one plan-bound check (issue 13).
      await enforcePlanBounds(r.ctx, ctx, tenantId, { limits: body.limits, budgets: body.budgets });
      const now = r.ctx.clock.now();
      let expiresAt: Date | null = null;
      if (body.expires_at) {
        expiresAt = new Date(body.expires_at);
        if (expiresAt.getTime() <= now)
          throw AuthErrors.create('invalid_expiry', 'expires_at is in the past; send a future time.', {
            param: 'expires_at',
          });
      } else if (body.expires_in_days) expiresAt = new Date(now + body.expires_in_days * 86_400_000);
      const maxMs = r.ctx.config.apiKeys.maxExpiresInDays * 86_400_000;
      if (expiresAt && expiresAt.getTime() - now > maxMs) {
        throw AuthErrors.create(
          'invalid_expiry',
          `Keys may live at most ${r.ctx.config.apiKeys.maxExpiresInDays} days.`,
          { param: 'expires_at' },
        );
      }
      if (body.team_id && !(await r.tenancy().getTeam(tenantId, body.team_id)))
        throw errors.badRequest('team_id is not a team of this tenant.', 'team_not_found', 'team_id');
      const owner = await checkOwner(r, caller, tenantId, body.user_id, role);
      await checkModelsWithinTenant(r, tenantId, body.allowed_models);
      const { record, key } = await r.keys.create({
        tenantId,
        name: body.name,
        userId: owner,
        allowedModels: body.allowed_models ? [...new Set(body.allowed_models)] : null,
        apiVersion: body.api_version,
        teamId: body.team_id ?? null,
        scopes,
        role,
        superadmin: body.superadmin === true,
        expiresAt,
        limits: body.limits ?? null,
        budgets: body.budgets ?? null,
        createdBy: actorId(caller),
      });
      const view = keyView(record, now);
      await audit(r, ctx, {
        tenantId,
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: record.id,
        after: view,
      });
      ctx.status = 201;
      ctx.set('cache-control', 'no-store');
      ctx.body = { ...view, key };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Create an API key (the full key is in this response only)',
      schema: {
        params: tenantParams,
        body: createKeyBody,
        responses: { 201: createdKeyView },
        tag,
        operationId: 'createApiKey',
      },
    },
  );

  router.get(
    base,
    async (ctx) => {
      const r = rt();
      const { query, params } = validated<z.output<typeof listKeysQuery>, z.output<typeof tenantParams>>(ctx);
      await authorizeTenant(r, ctx, 'keys:read', params.tenantId);
      const limit = query.limit ?? 50;
      const page = await r.keys.list(params.tenantId, {
        cursor: query.cursor,
        limit,
        status: query.status,
        userId: query.owner ?? query.user_id,
        teamId: query.team_id,
        q: query.q,
        sort: query.sort as KeySort | undefined,
      });
      const data = await withOwners(r, params.tenantId, page.data);
      ctx.body = { data, next_cursor: page.nextCursor, has_more: page.nextCursor !== null };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: 'List API keys (never their secrets): search, filter, sort, keyset paging',
      schema: {
        params: tenantParams,
        query: listKeysQuery,
        responses: { 200: keyListView },
        tag,
        operationId: 'listApiKeys',
      },
    },
  );

  router.get(
    `${base}/:id`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      await authorizeTenant(r, ctx, 'keys:read', tenantId);
      const record = await r.keys.get(tenantId, id);
      if (!record) throw keyNotFound();
      ctx.body = (await withOwners(r, tenantId, [record]))[0];
    },
    {
      scopes: ['admin:read'],
      tags: ['admin'],
      summary: 'Get an API key',
      schema: { params: keyParams, responses: { 200: apiKeyListItem }, tag, operationId: 'getApiKey' },
    },
  );

  router.patch(
    `${base}/:id`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      const body = ctx.request.body as z.output<typeof updateKeyBody>;
      const caller = await authorizeTenant(r, ctx, 'keys:write', tenantId);
      checkDelegation(caller, { role: body.role as TenantRole | undefined, scopes: body.scopes, what: 'key' });
      await enforcePlanBounds(r.ctx, ctx, tenantId, {
        limits: body.limits ?? undefined,
        budgets: body.budgets ?? undefined,
      });
      const current = await r.keys.get(tenantId, id);
      if (!current) throw keyNotFound();
      checkTargetRank(caller, current, 'key');
      if (current.revokedAt)
        throw errors.conflict(
          'This API key is revoked; revoked keys cannot be changed. Create a new key.',
          'api_key_revoked',
        );
      const now = r.ctx.clock.now();
      if (body.expires_at && new Date(body.expires_at).getTime() <= now)
        throw AuthErrors.create('invalid_expiry', 'expires_at is in the past; send a future time.', {
          param: 'expires_at',
        });
      if (body.team_id && !(await r.tenancy().getTeam(tenantId, body.team_id)))
        throw errors.badRequest('team_id is not a team of this tenant.', 'team_not_found', 'team_id');
      await checkModelsWithinTenant(r, tenantId, body.allowed_models);
      const changed = await r.keys.update(tenantId, id, {
        name: body.name,
        scopes: body.scopes,
        role: body.role as TenantRole | undefined,
        teamId: body.team_id,
        expiresAt:
          body.expires_at === undefined ? undefined : body.expires_at === null ? null : new Date(body.expires_at),
        limits: body.limits,
        budgets: body.budgets,
        allowedModels:
          body.allowed_models === undefined
            ? undefined
            : body.allowed_models === null
              ? null
              : [...new Set(body.allowed_models)],
        apiVersion: body.api_version,
      });
      if (!changed) throw keyNotFound();
      // Scopes, role, limits take effect everywhere now, not when caches expire.
      await r.apiKeys.announce(id);
      const after = keyView(changed.after, now);
      await audit(r, ctx, {
        tenantId,
        action: 'api_key.update',
        targetType: 'api_key',
        targetId: id,
        before: keyView(changed.before, now),
        after,
      });
      ctx.body = after;
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Change an API key (name, scopes, role, team, expiry, limits, budgets, allowed models)',
      schema: {
        params: keyParams,
        body: updateKeyBody,
        responses: { 200: apiKeyView },
        tag,
        operationId: 'updateApiKey',
      },
    },
  );

  rotateKeyRoute(router, rt, base, tag);
  suspendKeyRoutes(router, rt, base, tag);

  router.delete(
    `${base}/:id`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      await targetKey(r, ctx, tenantId, id);
      const changed = await r.keys.revoke(tenantId, id);
      if (!changed) throw keyNotFound();
      // Evict here and on every other instance (pub/sub) before answering.
      await r.apiKeys.announce(id);
      const now = r.ctx.clock.now();
      const after = keyView(changed.after, now);
      if (!changed.before.revokedAt) {
        await audit(r, ctx, {
          tenantId,
          action: 'api_key.revoke',
          targetType: 'api_key',
          targetId: id,
          before: keyView(changed.before, now),
          after,
        });
      }
      ctx.body = after;
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Revoke an API key (idempotent); it stops working on every instance within a second',
      schema: { params: keyParams, responses: { 200: apiKeyView }, tag, operationId: 'revokeApiKey' },
    },
  );
}

/**
 * The key's owner: the caller by default, or a member of the tenant named by `user_id`. Handing a
 * key to someone else is an admin's act (`members:read` is what lets one see who the members are),
 * and a key never carries a role above its owner's, so it cannot outrank the person behind it.
 */
async function checkOwner(
  r: AuthRuntime,
  caller: Principal,
  tenantId: string,
  userId: string | undefined,
  role: TenantRole,
): Promise<string | null> {
  if (userId === undefined || userId === caller.userId) return caller.userId ?? null;
  if (caller.superadmin !== true && roleRank(caller.role) < roleRank('admin')) {
    throw CoreErrors.create(
      'permission_denied',
      'Only an admin or owner may create a key for another member; leave user_id out to own the key yourself.',
    );
  }
  const ownerRole = await r.tenancy().roleOf(userId, tenantId);
  if (!ownerRole)
    throw AuthErrors.create('owner_not_member', 'user_id is not a member of this tenant; add them as a member first.', {
      param: 'user_id',
    });
  if (roleRank(role) > roleRank(ownerRole)) {
    throw AuthErrors.create(
      'role_above_owner',
      `The key's role (${role}) is above its owner's (${ownerRole}); choose ${ownerRole} or lower.`,
      { param: 'role' },
    );
  }
  return userId;
}
