import type { z } from 'zod';
import { CoreErrors, type PluginRouter } from '@aihub/core/plugin-api';
import { teamJson } from '../json';
import * as s from '../schemas';
import { audited, bodyOf, existingTenant, paramsOf, queryOf, readRoute, writeRoute, type Runtime } from './common';
import { teamMemberRoutes } from './teamMembers';

type TenantParams = z.output<typeof s.tenantParams>;
type TeamParams = z.output<typeof s.teamParams>;

function teamNotFound() {
  return CoreErrors.create('team_not_found', 'No such team in this tenant.');
}

/** Teams of a tenant: list, create, read, rename, delete; and their members (teamMembers.ts). */
export function teamRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/tenants/:tenantId/teams',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'teams:read', tenantId);
      await existingTenant(rt(), tenantId);
      const q = queryOf<z.output<typeof s.teamListQuery>>(c);
      const page = await rt().store.teams.list(tenantId, { limit: q.limit, cursor: q.cursor, q: q.q });
      c.body = { data: page.data.map(teamJson), next_cursor: page.nextCursor };
    },
    readRoute("List a tenant's teams", {
      params: s.tenantParams,
      query: s.teamListQuery,
      responses: { 200: s.listOf(s.teamOut) },
      operationId: 'listTeams',
    }),
  );

  router.post(
    '/admin/v1/tenants/:tenantId/teams',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'teams:write', tenantId);
      await existingTenant(rt(), tenantId);
      const body = bodyOf<z.output<typeof s.teamCreate>>(c);
      const team = await audited(rt(), c, async (t) => {
        const created = await rt().store.teams.create(
          tenantId,
          { name: body.name, description: body.description ?? null },
          t,
        );
        return {
          result: created,
          entry: {
            tenantId,
            action: 'team.create',
            targetType: 'team',
            targetId: created.id,
            after: teamJson(created),
          },
        };
      });
      c.status = 201;
      c.set('location', `/admin/v1/tenants/${tenantId}/teams/${team.id}`);
      c.body = teamJson(team);
    },
    writeRoute('Create a team', {
      params: s.tenantParams,
      body: s.teamCreate,
      responses: { 201: s.teamOut },
      operationId: 'createTeam',
    }),
  );

  router.get(
    '/admin/v1/tenants/:tenantId/teams/:teamId',
    async (c) => {
      const { tenantId, teamId } = paramsOf<TeamParams>(c);
      rt().access.authorize(c, 'teams:read', tenantId);
      const team = await rt().store.teams.get(tenantId, teamId);
      if (!team) throw teamNotFound();
      c.body = teamJson(team);
    },
    readRoute('Read a team', { params: s.teamParams, responses: { 200: s.teamOut }, operationId: 'getTeam' }),
  );

  router.patch(
    '/admin/v1/tenants/:tenantId/teams/:teamId',
    async (c) => {
      const { tenantId, teamId } = paramsOf<TeamParams>(c);
      rt().access.authorize(c, 'teams:write', tenantId);
      const body = bodyOf<z.output<typeof s.teamUpdate>>(c);
      const store = rt().store;
      const team = await audited(rt(), c, async (t) => {
        const before = await store.teams.get(tenantId, teamId, t);
        if (!before) throw teamNotFound();
        const after = await store.teams.update(tenantId, teamId, body, t);
        return {
          result: after,
          entry: {
            tenantId,
            action: 'team.update',
            targetType: 'team',
            targetId: teamId,
            before: teamJson(before),
            after: teamJson(after),
          },
        };
      });
      c.body = teamJson(team);
    },
    writeRoute('Rename a team or change its description', {
      params: s.teamParams,
      body: s.teamUpdate,
      responses: { 200: s.teamOut },
      operationId: 'updateTeam',
    }),
  );

  router.delete(
    '/admin/v1/tenants/:tenantId/teams/:teamId',
    async (c) => {
      const { tenantId, teamId } = paramsOf<TeamParams>(c);
      rt().access.authorize(c, 'teams:write', tenantId);
      const store = rt().store;
      await audited(rt(), c, async (t) => {
        const before = await store.teams.get(tenantId, teamId, t);
        if (!before) throw teamNotFound();
        await store.teams.delete(tenantId, teamId, t);
        return {
          result: undefined,
          entry: { tenantId, action: 'team.delete', targetType: 'team', targetId: teamId, before: teamJson(before) },
        };
      });
      c.status = 204;
    },
    writeRoute('Delete a team (its members stay in the tenant without a team)', {
      params: s.teamParams,
      responses: { 204: null },
      operationId: 'deleteTeam',
    }),
  );

  teamMemberRoutes(router, rt);
}
