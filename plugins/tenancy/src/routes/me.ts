import type { z } from 'zod';
import { CoreErrors, PrincipalKey, TenantKey, errors, type PluginRouter } from '@aihub/core/plugin-api';
import { userJson } from '../json';
import { ALL_PERMISSIONS } from '../permissions';
import { meOut, meUpdate, userOut } from '../schemas';
import { audited, bodyOf, principalOf, type Runtime } from './common';

/**
 * `GET /admin/v1/me`: who the caller is, their tenant, what they may do there, and their memberships.
 * `PATCH /admin/v1/me`: the signed-in user's own profile (display name, preferred language).
 * The password is changed at `POST /admin/v1/me/password` (auth plugin: it also ends other sign-ins).
 */
export function meRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/me',
    async (c) => {
      if (!PrincipalKey.get(c))
        throw errors.unauthorized(
          'Authentication required: send an API key or access token as `Authorization: Bearer <token>`.',
          'unauthenticated',
        );
      const p = principalOf(c);
      const tenant = TenantKey.get(c) ?? (p.tenantId ? await rt().directory.get(p.tenantId) : undefined);
      const userId = p.userId ?? (p.kind === 'session' ? p.subject : undefined);
      const user = userId ? await rt().store.users.get(userId) : undefined;
      const memberships = user ? await rt().store.memberships.of(user.id) : [];
      c.body = {
        principal: {
          kind: p.kind,
          subject: p.subject,
          tenant_id: p.tenantId,
          role: p.role ?? null,
          superadmin: p.superadmin === true,
          scopes: p.scopes,
          user_id: userId ?? null,
          key_id: p.keyId ?? null,
          client_id: p.clientId ?? null,
          team_id: p.teamId ?? null,
        },
        tenant: tenant
          ? { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status, plan: tenant.plan }
          : null,
        permissions: ALL_PERMISSIONS.filter((perm) => rt().access.can(c, perm)),
        user: user ? userJson(user) : null,
        memberships: memberships.map((m) => ({
          tenant_id: m.tenantId,
          slug: m.tenant.slug,
          name: m.tenant.name,
          status: m.tenant.status,
          role: m.role,
          team_id: m.teamId,
        })),
      };
    },
    {
      auth: 'required',
      tags: ['admin'],
      summary: "The caller's identity, tenant, permissions and memberships",
      schema: { tag: 'tenancy', responses: { 200: meOut }, operationId: 'getMe' },
    },
  );

  router.patch(
    '/admin/v1/me',
    async (c) => {
      if (!PrincipalKey.get(c))
        throw errors.unauthorized(
          'Authentication required: send an API key or access token as `Authorization: Bearer <token>`.',
          'unauthenticated',
        );
      const p = principalOf(c);
      const userId = p.userId ?? (p.kind === 'session' ? p.subject : undefined);
      if (!userId || p.kind === 'api_key')
        throw CoreErrors.create(
          'user_session_required',
          'Sign in as yourself (the console, or an OAuth access token of your user) to change your profile.',
        );
      const body = bodyOf<z.output<typeof meUpdate>>(c);
      const store = rt().store;
      const user = await audited(rt(), c, async (t) => {
        const before = await store.users.get(userId, t);
        if (!before) throw CoreErrors.create('user_not_found', 'Your user no longer exists.');
        const after = await store.users.update(
          userId,
          { displayName: body.display_name, preferredLanguage: body.preferred_language },
          t,
        );
        return {
          result: after,
          entry: {
            tenantId: null,
            action: 'user.profile_update',
            targetType: 'user',
            targetId: userId,
            before: userJson(before),
            after: userJson(after),
          },
        };
      });
      c.body = userJson(user);
    },
    {
      auth: 'required',
      tags: ['admin'],
      summary: 'Change your own display name or preferred language',
      bodyLimit: 8 * 1024,
      schema: { tag: 'tenancy', body: meUpdate, responses: { 200: userOut }, operationId: 'updateMe' },
    },
  );
}
