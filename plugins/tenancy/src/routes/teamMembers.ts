import type { z } from 'zod';
import { CoreErrors, type PluginRouter } from '@aihub/core/plugin-api';
import { memberJson } from '../json';
import * as s from '../schemas';
import { audited, existingTenant, paramsOf, queryOf, readRoute, writeRoute, type Runtime } from './common';
import { TenancyErrors } from '../errors';

type TeamParams = z.output<typeof s.teamParams>;
type TeamMemberParams = z.output<typeof s.teamMemberParams>;

const teamNotFound = () => CoreErrors.create('team_not_found', 'No such team in this tenant.');

/**
 * A team's members: list, add, remove. A member belongs to at most one team (the membership's
 * team_id), so adding someone who is in another team moves them, and removing leaves them in the
 * tenant without a team. The same change as `PATCH …/members/:userId {team_id}`, seen from the team.
 */
export function teamMemberRoutes(router: PluginRouter, rt: Runtime): void {
  const path = '/admin/v1/tenants/:tenantId/teams/:teamId/members';

  router.get(
    path,
    async (c) => {
      const { tenantId, teamId } = paramsOf<TeamParams>(c);
      rt().access.authorize(c, 'members:read', tenantId);
      await existingTenant(rt(), tenantId);
      if (!(await rt().store.teams.get(tenantId, teamId))) throw teamNotFound();
      const q = queryOf<z.output<typeof s.memberListQuery>>(c);
      const page = await rt().store.memberships.listMembers(tenantId, {
        limit: q.limit,
        cursor: q.cursor,
        role: q.role,
        teamId,
      });
      c.body = { data: page.data.map((m) => memberJson(m)), next_cursor: page.nextCursor };
    },
    readRoute("List a team's members", {
      params: s.teamParams,
      query: s.memberListQuery,
      responses: { 200: s.listOf(s.memberOut) },
      operationId: 'listTeamMembers',
    }),
  );

  router.put(
    `${path}/:userId`,
    async (c) => {
      const { tenantId, teamId, userId } = paramsOf<TeamMemberParams>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      const store = rt().store;
      const out = await audited(rt(), c, async (t) => {
        if (!(await store.teams.get(tenantId, teamId, t))) throw teamNotFound();
        const before = await store.memberships.get(tenantId, userId, t);
        if (!before)
          throw CoreErrors.create(
            'member_not_found',
            'This user is not a member of the tenant; add them as a member (or invite them) first.',
          );
        const after = await store.memberships.update(tenantId, userId, { teamId }, t);
        const user = await store.users.get(userId, t);
        return {
          result: memberJson(after, user),
          entry: {
            tenantId,
            action: 'team.member_add',
            targetType: 'team',
            targetId: teamId,
            before: memberJson(before, user),
            after: memberJson(after, user),
          },
        };
      });
      c.body = out;
    },
    writeRoute('Put a member in this team (moving them from their current team, if any)', {
      params: s.teamMemberParams,
      responses: { 200: s.memberOut },
      operationId: 'addTeamMember',
    }),
  );

  router.delete(
    `${path}/:userId`,
    async (c) => {
      const { tenantId, teamId, userId } = paramsOf<TeamMemberParams>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      const store = rt().store;
      await audited(rt(), c, async (t) => {
        const before = await store.memberships.get(tenantId, userId, t);
        if (!before || before.teamId !== teamId)
          throw TenancyErrors.create('team_member_not_found', 'This user is not a member of this team.');
        const after = await store.memberships.update(tenantId, userId, { teamId: null }, t);
        return {
          result: undefined,
          entry: {
            tenantId,
            action: 'team.member_remove',
            targetType: 'team',
            targetId: teamId,
            before: memberJson(before),
            after: memberJson(after),
          },
        };
      });
      c.status = 204;
    },
    writeRoute('Take a member out of this team (they stay in the tenant)', {
      params: s.teamMemberParams,
      responses: { 204: null },
      operationId: 'removeTeamMember',
    }),
  );
}
