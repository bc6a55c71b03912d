import { PrincipalKey, TenantKey, errors, type PluginRouter } from '@aihub/core/plugin-api';
import { userJson } from '../json';
import { ALL_PERMISSIONS } from '../permissions';
import { meOut } from '../schemas';
import { principalOf, type Runtime } from './common';

/** `GET /admin/v1/me`: who the caller is, their tenant, what they may do there, and their memberships. */
export function meRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/me',
    async (c) => {
      if (!PrincipalKey.get(c)) throw errors.unauthorized('Authentication required: send an API key or access token as `Authorization: Bearer <token>`.', 'unauthenticated');
      const p = principalOf(c);
      const tenant = TenantKey.get(c) ?? (p.tenantId ? await rt().directory.get(p.tenantId) : undefined);
      const userId = p.userId ?? (p.kind === 'session' ? p.subject : undefined);
      const user = userId ? await rt().store.getUser(userId) : undefined;
      const memberships = user ? await rt().store.membershipsOf(user.id) : [];
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
        tenant: tenant ? { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status, plan: tenant.plan } : null,
        permissions: ALL_PERMISSIONS.filter((perm) => rt().access.can(c, perm)),
        user: user ? userJson(user) : null,
        memberships: memberships.map((m) => ({ tenant_id: m.tenantId, slug: m.tenant.slug, name: m.tenant.name, status: m.tenant.status, role: m.role, team_id: m.teamId })),
      };
    },
    {
      auth: 'required',
      tags: ['admin'],
      summary: "The caller's identity, tenant, permissions and memberships",
      schema: { tag: 'tenancy', responses: { 200: meOut }, operationId: 'getMe' },
    },
  );
}
