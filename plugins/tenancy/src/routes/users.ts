import type { Context } from 'koa';
import type { z } from 'zod';
import { CoreErrors, type PluginRouter } from '@aihub/core/plugin-api';
import { userJson } from '../json';
import * as s from '../schemas';
import { audited, bodyOf, paramsOf, principalOf, queryOf, readRoute, writeRoute, type Runtime } from './common';
import { TenancyErrors } from '../errors';

type UserParams = z.output<typeof s.userParams>;

function userNotFound() {
  return CoreErrors.create('user_not_found', 'No such user.');
}

function isSelf(c: Context, userId: string): boolean {
  const p = principalOf(c);
  return p.userId === userId || (p.kind === 'session' && p.subject === userId);
}

/** Platform users (superadmin only): list, create, read (with memberships), update, delete. */
export function userRoutes(router: PluginRouter, rt: Runtime): void {
  router.get(
    '/admin/v1/users',
    async (c) => {
      rt().access.authorize(c, 'users:read', null);
      const q = queryOf<z.output<typeof s.userListQuery>>(c);
      const page = await rt().store.users.list({ limit: q.limit, cursor: q.cursor, status: q.status, q: q.q });
      c.body = { data: page.data.map(userJson), next_cursor: page.nextCursor };
    },
    readRoute('List users (superadmin)', {
      query: s.userListQuery,
      responses: { 200: s.listOf(s.userOut) },
      operationId: 'listUsers',
    }),
  );

  router.post(
    '/admin/v1/users',
    async (c) => {
      rt().access.authorize(c, 'users:write', null);
      const body = bodyOf<z.output<typeof s.userCreate>>(c);
      const user = await audited(rt(), c, async (t) => {
        const created = await rt().store.users.create(body, t);
        return {
          result: created,
          entry: {
            tenantId: null,
            action: 'user.create',
            targetType: 'user',
            targetId: created.id,
            after: { ...userJson(created), password: body.password },
          },
        };
      });
      c.status = 201;
      c.set('location', `/admin/v1/users/${user.id}`);
      c.body = userJson(user);
    },
    writeRoute('Create a user (superadmin)', {
      body: s.userCreate,
      responses: { 201: s.userOut },
      operationId: 'createUser',
    }),
  );

  router.get(
    '/admin/v1/users/:userId',
    async (c) => {
      rt().access.authorize(c, 'users:read', null);
      const { userId } = paramsOf<UserParams>(c);
      const user = await rt().store.users.get(userId);
      if (!user) throw userNotFound();
      const memberships = await rt().store.memberships.of(userId);
      c.body = {
        ...userJson(user),
        memberships: memberships.map((m) => ({
          tenant_id: m.tenantId,
          slug: m.tenant.slug,
          name: m.tenant.name,
          role: m.role,
          team_id: m.teamId,
        })),
      };
    },
    readRoute('Read a user with their memberships (superadmin)', {
      params: s.userParams,
      responses: { 200: s.userDetailOut },
      operationId: 'getUser',
    }),
  );

  router.patch(
    '/admin/v1/users/:userId',
    async (c) => {
      rt().access.authorize(c, 'users:write', null);
      const { userId } = paramsOf<UserParams>(c);
      const body = bodyOf<z.output<typeof s.userUpdate>>(c);
      if (isSelf(c, userId) && (body.superadmin === false || (body.status !== undefined && body.status !== 'active'))) {
        throw TenancyErrors.create(
          'cannot_modify_self',
          'You cannot remove your own superadmin rights or disable yourself; ask another superadmin.',
        );
      }
      const store = rt().store;
      const user = await audited(rt(), c, async (t) => {
        const before = await store.users.get(userId, t);
        if (!before) throw userNotFound();
        const after = await store.users.update(userId, body, t);
        const changedPassword = body.password !== undefined ? { password: body.password } : {};
        return {
          result: after,
          entry: {
            tenantId: null,
            action: 'user.update',
            targetType: 'user',
            targetId: userId,
            before: userJson(before),
            after: { ...userJson(after), ...changedPassword },
          },
        };
      });
      c.body = userJson(user);
    },
    writeRoute('Change a user (superadmin); a new password also ends a lockout', {
      params: s.userParams,
      body: s.userUpdate,
      responses: { 200: s.userOut },
      operationId: 'updateUser',
    }),
  );

  router.delete(
    '/admin/v1/users/:userId',
    async (c) => {
      rt().access.authorize(c, 'users:write', null);
      const { userId } = paramsOf<UserParams>(c);
      if (isSelf(c, userId))
        throw TenancyErrors.create('cannot_modify_self', 'You cannot delete yourself; ask another superadmin.');
      const store = rt().store;
      await audited(rt(), c, async (t) => {
        const before = await store.users.get(userId, t);
        if (!before) throw userNotFound();
        await store.users.delete(userId, t);
        return {
          result: undefined,
          entry: {
            tenantId: null,
            action: 'user.delete',
            targetType: 'user',
            targetId: userId,
            before: userJson(before),
          },
        };
      });
      c.status = 204;
    },
    writeRoute('Delete a user and their memberships (superadmin)', {
      params: s.userParams,
      responses: { 204: null },
      operationId: 'deleteUser',
    }),
  );
}
