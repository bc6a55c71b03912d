import type { z } from 'zod';
import {
  CoreErrors,
  assertWithinPlan,
  type BudgetSettings,
  type LimitSettings,
  type PluginRouter,
  type TenantSettings,
} from '@aihub/core/plugin-api';
import { tenantJson } from '../json';
import { withNeutralSlugConflict } from '../slugs';
import * as s from '../schemas';
import type { TenantRecord } from '../types';
import {
  audited,
  bodyOf,
  existingTenant,
  paramsOf,
  principalOf,
  queryOf,
  readRoute,
  writeRoute,
  SETTINGS_BODY_LIMIT,
  type Runtime,
} from './common';

type TenantParams = z.output<typeof s.tenantParams>;

/** Merges a settings patch: top-level keys replace, `null` removes. */
export function mergeSettings(current: TenantSettings, patch: Record<string, unknown>): TenantSettings {
  const next: TenantSettings = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else if (v !== undefined) next[k] = v;
  }
  return next;
}

/** Tenants: list, create (superadmin), read, update, delete, settings. */
export function tenantRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/tenants',
    async (c) => {
      const principal = principalOf(c);
      const q = queryOf<z.output<typeof s.tenantListQuery>>(c);
      if (principal.superadmin === true) {
        rt().access.authorize(c, 'tenants:read', null);
        const page = await rt().store.tenants.list({ limit: q.limit, cursor: q.cursor, status: q.status, q: q.q });
        c.body = { data: page.data.map(tenantJson), next_cursor: page.nextCursor };
        return;
      }
      // Everyone else sees at most their own tenant.
      rt().access.authorize(c, 'tenants:read');
      const own = await rt().store.tenants.get(principal.tenantId!);
      const matches =
        own &&
        (!q.status || own.status === q.status) &&
        (!q.q || `${own.name}\n${own.slug}`.toLowerCase().includes(q.q.toLowerCase()));
      c.body = { data: matches && !q.cursor ? [tenantJson(own)] : [], next_cursor: null };
    },
    readRoute('List tenants (a superadmin sees all; others their own)', {
      query: s.tenantListQuery,
      responses: { 200: s.listOf(s.tenantOut) },
      operationId: 'listTenants',
    }),
  );

  router.post(
    '/admin/v1/tenants',
    async (c) => {
      rt().access.authorize(c, 'tenants:create', null);
      const body = bodyOf<z.output<typeof s.tenantCreate>>(c);
      const tenant = await audited(rt(), c, async (t) => {
        const created = await rt().store.tenants.create(
          {
            name: body.name,
            slug: body.slug,
            plan: body.plan,
            settings: body.settings as TenantSettings | undefined,
            status: body.status,
          },
          t,
        );
        return {
          result: created,
          entry: {
            tenantId: created.id,
            action: 'tenant.create',
            targetType: 'tenant',
            targetId: created.id,
            after: tenantJson(created),
          },
        };
      });
      c.status = 201;
      c.set('location', `/admin/v1/tenants/${tenant.id}`);
      c.body = tenantJson(tenant);
    },
    writeRoute(
      'Create a tenant (superadmin)',
      { body: s.tenantCreate, responses: { 201: s.tenantOut }, operationId: 'createTenant' },
      SETTINGS_BODY_LIMIT,
    ),
  );

  router.get(
    '/admin/v1/tenants/:tenantId',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'tenants:read', tenantId);
      c.body = tenantJson(await existingTenant(rt(), tenantId));
    },
    readRoute('Read a tenant', { params: s.tenantParams, responses: { 200: s.tenantOut }, operationId: 'getTenant' }),
  );

  router.patch(
    '/admin/v1/tenants/:tenantId',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'tenants:write', tenantId);
      const body = bodyOf<z.output<typeof s.tenantUpdate>>(c);
      const principal = principalOf(c);
      const store = rt().store;
      const tenant = await audited(rt(), c, async (t) => {
        const before = await store.tenants.get(tenantId, t);
        if (!before) throw CoreErrors.create('tenant_not_found', 'No such tenant (or it is not yours).');
        // Plan and status are the operator's: a tenant must not upgrade or reactivate itself.
        if (
          principal.superadmin !== true &&
          ((body.plan !== undefined && body.plan !== before.plan) ||
            (body.status !== undefined && body.status !== before.status))
        ) {
          throw CoreErrors.create(
            'permission_denied',
            "Only a platform superadmin may change a tenant's plan or status.",
          );
        }
        const slug = body.slug !== undefined && body.slug !== before.slug ? body.slug : undefined;
        const after = await withNeutralSlugConflict(slug, principal.superadmin === true, () =>
          store.tenants.update(tenantId, body, t),
        );
        return {
          result: after,
          entry: {
            tenantId,
            action: 'tenant.update',
            targetType: 'tenant',
            targetId: tenantId,
            before: tenantJson(before),
            after: tenantJson(after),
          },
        };
      });
      c.body = tenantJson(tenant);
    },
    writeRoute('Rename a tenant or change its slug; plan and status (superadmin)', {
      params: s.tenantParams,
      body: s.tenantUpdate,
      responses: { 200: s.tenantOut },
      operationId: 'updateTenant',
    }),
  );

  router.delete(
    '/admin/v1/tenants/:tenantId',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'tenants:delete', tenantId);
      const store = rt().store;
      await audited(rt(), c, async (t) => {
        const before = await store.tenants.get(tenantId, t);
        if (!before) throw CoreErrors.create('tenant_not_found', 'No such tenant (or it is not yours).');
        await store.tenants.delete(tenantId, t);
        return {
          result: undefined,
          entry: {
            tenantId,
            action: 'tenant.delete',
            targetType: 'tenant',
            targetId: tenantId,
            before: tenantJson(before),
          },
        };
      });
      c.status = 204;
    },
    writeRoute('Delete a tenant with its teams and memberships (owner or superadmin; the audit log is kept)', {
      params: s.tenantParams,
      responses: { 204: null },
      operationId: 'deleteTenant',
    }),
  );

  router.get(
    '/admin/v1/tenants/:tenantId/settings',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'tenants:read', tenantId);
      const tenant = await existingTenant(rt(), tenantId);
      c.body = { tenant_id: tenant.id, settings: tenant.settings };
    },
    readRoute("Read a tenant's settings", {
      params: s.tenantParams,
      responses: { 200: s.settingsOut },
      operationId: 'getTenantSettings',
    }),
  );

  router.patch(
    '/admin/v1/tenants/:tenantId/settings',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      const access = rt().access;
      access.authorize(c, 'settings:write', tenantId);
      const patch = bodyOf<Record<string, unknown>>(c);
      if (patch.limits !== undefined) access.authorize(c, 'limits:write', tenantId);
      if (patch.budgets !== undefined) access.authorize(c, 'budgets:write', tenantId);
      // A tenant's own bounds are the operator's, like its plan.
      if (patch.bounds !== undefined && principalOf(c).superadmin !== true) {
        throw CoreErrors.create('permission_denied', "Only a platform superadmin may change a tenant's bounds.");
      }
      const store = rt().store;
      const tenant: TenantRecord = await audited(rt(), c, async (t) => {
        const before = await store.tenants.get(tenantId, t);
        if (!before) throw CoreErrors.create('tenant_not_found', 'No such tenant (or it is not yours).');
        // The same bound check as the budget and limit routes, on what this patch sets (a key it leaves
        // alone keeps its value, even one a superadmin set above the plan).
        const values = {
          limits: (patch.limits ?? undefined) as LimitSettings | undefined,
          budgets: (patch.budgets ?? undefined) as BudgetSettings | undefined,
        };
        assertWithinPlan(c, values, rt().planBounds.forTenant(before), before.plan, (field) => `settings.${field}`);
        const settings = mergeSettings(before.settings, patch);
        const after = await store.tenants.update(tenantId, { settings }, t);
        return {
          result: after,
          entry: {
            tenantId,
            action: 'tenant.settings.update',
            targetType: 'tenant',
            targetId: tenantId,
            before: before.settings,
            after: after.settings,
          },
        };
      });
      c.body = { tenant_id: tenant.id, settings: tenant.settings };
    },
    writeRoute(
      "Change a tenant's settings (keys merge; null removes a key)",
      {
        params: s.tenantParams,
        body: s.settingsPatch,
        responses: { 200: s.settingsOut },
        operationId: 'updateTenantSettings',
      },
      SETTINGS_BODY_LIMIT,
    ),
  );
}
