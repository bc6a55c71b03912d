import type { z } from 'zod';
import type { PluginRouter } from '@aihub/core/plugin-api';
import { auditJson } from '../json';
import * as s from '../schemas';
import { existingTenant, paramsOf, queryOf, readRoute, type Runtime } from './common';

type TenantParams = z.output<typeof s.tenantParams>;

/** The audit log, newest first: a tenant's (owners, admins) and the whole platform's (superadmin). */
export function auditRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/tenants/:tenantId/audit',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'audit:read', tenantId);
      await existingTenant(rt(), tenantId);
      const q = queryOf<z.output<typeof s.auditQuery>>(c);
      const page = await rt().audit.list({
        tenantId,
        limit: q.limit,
        cursor: q.cursor,
        action: q.action,
        actor: q.actor,
        targetType: q.target_type,
        targetId: q.target_id,
        since: q.since,
        until: q.until,
      });
      c.body = { data: page.data.map(auditJson), next_cursor: page.nextCursor };
    },
    readRoute("Read a tenant's audit log (newest first)", {
      params: s.tenantParams,
      query: s.auditQuery,
      responses: { 200: s.listOf(s.auditOut) },
      operationId: 'listTenantAudit',
    }),
  );

  router.get(
    '/admin/v1/audit',
    async (c) => {
      rt().access.authorize(c, 'audit:read', null);
      const q = queryOf<z.output<typeof s.platformAuditQuery>>(c);
      const page = await rt().audit.list({
        tenantId: q.tenant_id,
        limit: q.limit,
        cursor: q.cursor,
        action: q.action,
        actor: q.actor,
        targetType: q.target_type,
        targetId: q.target_id,
        since: q.since,
        until: q.until,
      });
      c.body = { data: page.data.map(auditJson), next_cursor: page.nextCursor };
    },
    readRoute('Read the whole platform audit log (superadmin, newest first)', {
      query: s.platformAuditQuery,
      responses: { 200: s.listOf(s.auditOut) },
      operationId: 'listAudit',
    }),
  );
}
