import type { Context } from 'koa';
import type { z } from 'zod';
import { CoreErrors, type PluginRouter, type TenantRole } from '@aihub/core/plugin-api';
import { memberJson } from '../json';
import * as s from '../schemas';
import type { MembershipRecord } from '../types';
import { invitationCreated } from '../invitations/schemas';
import {
  audited,
  bodyOf,
  existingTenant,
  paramsOf,
  principalOf,
  queryOf,
  readRoute,
  writeRoute,
  type Runtime,
} from './common';
import type { Invitations } from './invitations';
import { TenancyErrors } from '../errors';

type TenantParams = z.output<typeof s.tenantParams>;
type MemberParams = z.output<typeof s.memberParams>;

function memberNotFound() {
  return CoreErrors.create('member_not_found', 'This user is not a member of the tenant.');
}

/**
 * Tenant members: list, add by e-mail, change role or team, remove. Granting, changing or removing
 * the owner role also needs `members:owner` (owners and superadmins), and the last owner can be
 * neither demoted nor removed. Only a platform superadmin adds a member directly (and creates the
 * user when needed); for anyone else adding by e-mail creates an invitation the person accepts, so
 * no one is put into a tenant without consent and the answer never says whether the address has an
 * account.
 */
export function memberRoutes(router: PluginRouter, rt: Runtime, invitations: Invitations): void {
  const requireOwnerRights = (c: Context, tenantId: string, ...roles: (TenantRole | undefined)[]) => {
    if (roles.includes('owner')) rt().access.authorize(c, 'members:owner', tenantId);
  };

  router.get(
    '/admin/v1/tenants/:tenantId/members',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'members:read', tenantId);
      await existingTenant(rt(), tenantId);
      const q = queryOf<z.output<typeof s.memberListQuery>>(c);
      const page = await rt().store.memberships.listMembers(tenantId, {
        limit: q.limit,
        cursor: q.cursor,
        role: q.role,
      });
      c.body = { data: page.data.map((m) => memberJson(m)), next_cursor: page.nextCursor };
    },
    readRoute("List a tenant's members", {
      params: s.tenantParams,
      query: s.memberListQuery,
      responses: { 200: s.listOf(s.memberOut) },
      operationId: 'listMembers',
    }),
  );

  router.post(
    '/admin/v1/tenants/:tenantId/members',
    async (c) => {
      const { tenantId } = paramsOf<TenantParams>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      const body = bodyOf<z.output<typeof s.memberAdd>>(c);
      requireOwnerRights(c, tenantId, body.role);
      if (principalOf(c).superadmin !== true) {
        // A tenant admin invites: 202 with the invitation, whether or not the address has an account.
        const invitation = await invitations.create(c, tenantId, {
          email: body.email,
          role: body.role,
          team_ids: body.team_id ? [body.team_id] : undefined,
        });
        c.status = 202;
        c.set('location', `/admin/v1/tenants/${tenantId}/invitations/${invitation.id}`);
        c.body = invitation;
        return;
      }
      await existingTenant(rt(), tenantId);
      const store = rt().store;
      const out = await audited(rt(), c, async (t) => {
        // Superadmins see every user anyway (users:read): adding directly reveals nothing to them.
        const user = (await store.users.byEmail(body.email, t)) ?? (await store.users.create({ email: body.email }, t));
        const membership = await store.memberships.add(
          { tenantId, userId: user.id, role: body.role, teamId: body.team_id ?? null },
          t,
        );
        const json = memberJson(membership, user);
        return {
          result: json,
          entry: { tenantId, action: 'member.add', targetType: 'user', targetId: user.id, after: json },
        };
      });
      c.status = 201;
      c.body = out;
    },
    writeRoute(
      'Add a member by e-mail: a superadmin adds directly (201, creating the user if needed); anyone else gets an invitation (202)',
      {
        params: s.tenantParams,
        body: s.memberAdd,
        responses: { 201: s.memberOut, 202: invitationCreated },
        operationId: 'addMember',
      },
    ),
  );

  router.get(
    '/admin/v1/tenants/:tenantId/members/:userId',
    async (c) => {
      const { tenantId, userId } = paramsOf<MemberParams>(c);
      rt().access.authorize(c, 'members:read', tenantId);
      const membership = await rt().store.memberships.get(tenantId, userId);
      if (!membership) throw memberNotFound();
      c.body = memberJson(membership, await rt().store.users.get(userId));
    },
    readRoute('Read a member', { params: s.memberParams, responses: { 200: s.memberOut }, operationId: 'getMember' }),
  );

  router.patch(
    '/admin/v1/tenants/:tenantId/members/:userId',
    async (c) => {
      const { tenantId, userId } = paramsOf<MemberParams>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      const body = bodyOf<z.output<typeof s.memberUpdate>>(c);
      const store = rt().store;
      const out = await audited(rt(), c, async (t) => {
        const before = await store.memberships.get(tenantId, userId, t);
        if (!before) throw memberNotFound();
        if (body.role !== undefined && body.role !== before.role) {
          requireOwnerRights(c, tenantId, before.role, body.role);
          if (before.role === 'owner' && (await store.memberships.countOwners(tenantId, t)) <= 1) {
            throw TenancyErrors.create(
              'last_owner',
              'This is the last owner of the tenant; make another member owner first.',
            );
          }
        }
        const after: MembershipRecord = await store.memberships.update(
          tenantId,
          userId,
          { role: body.role, teamId: body.team_id },
          t,
        );
        const user = await store.users.get(userId, t);
        return {
          result: memberJson(after, user),
          entry: {
            tenantId,
            action: 'member.update',
            targetType: 'user',
            targetId: userId,
            before: memberJson(before, user),
            after: memberJson(after, user),
          },
        };
      });
      c.body = out;
    },
    writeRoute("Change a member's role or team", {
      params: s.memberParams,
      body: s.memberUpdate,
      responses: { 200: s.memberOut },
      operationId: 'updateMember',
    }),
  );

  router.delete(
    '/admin/v1/tenants/:tenantId/members/:userId',
    async (c) => {
      const { tenantId, userId } = paramsOf<MemberParams>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      const store = rt().store;
      await audited(rt(), c, async (t) => {
        const before = await store.memberships.get(tenantId, userId, t);
        if (!before) throw memberNotFound();
        requireOwnerRights(c, tenantId, before.role);
        if (before.role === 'owner' && (await store.memberships.countOwners(tenantId, t)) <= 1) {
          throw TenancyErrors.create(
            'last_owner',
            'This is the last owner of the tenant; make another member owner first.',
          );
        }
        await store.memberships.remove(tenantId, userId, t);
        return {
          result: undefined,
          entry: {
            tenantId,
            action: 'member.remove',
            targetType: 'user',
            targetId: userId,
            before: memberJson(before),
          },
        };
      });
      c.status = 204;
    },
    writeRoute('Remove a member from the tenant (the user remains)', {
      params: s.memberParams,
      responses: { 204: null },
      operationId: 'removeMember',
    }),
  );
}
