import type { Context } from 'koa';
import type { z } from 'zod';
import {
  CoreErrors,
  GatewayError,
  PrincipalKey,
  errors,
  type PluginContext,
  type PluginRouter,
  type Principal,
  type RouteOptions,
} from '@aihub/core/plugin-api';
import { actorOf } from '../audit';
import type { TenancyConfig } from '../config';
import { InvitationStore, invitationNotFound, type InvitationRecord } from '../invitations/InvitationStore';
import * as s from '../invitations/schemas';
import { tenantParams } from '../schemas';
import type { UserRecord } from '../types';
import { bodyOf, existingTenant, paramsOf, queryOf, readRoute, writeRoute, type Runtime } from './common';
import { TenancyErrors } from '../errors';

type Created = z.output<typeof s.invitationCreated>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** An invitation for the admin API (never its token). */
export function invitationJson(i: InvitationRecord): z.output<typeof s.invitationOut> {
  return {
    id: i.id,
    tenant_id: i.tenantId,
    email: i.email,
    role: i.role,
    team_ids: i.teamIds,
    status: i.status,
    expires_at: i.expiresAt.toISOString(),
    created_at: i.createdAt.toISOString(),
    accepted_at: iso(i.acceptedAt),
    invited_by: i.invitedBy,
  };
}

/** What the member routes need of invitations: tenant admins add members by inviting them. */
export interface Invitations {
  store(): InvitationStore;
  /** Authorizes (members:write, members:owner for owner) and creates an invitation, audited. */
  create(c: Context, tenantId: string, body: z.output<typeof s.invitationCreate>): Promise<Created>;
}

function signInRequired(): GatewayError {
  return errors.unauthorized(
    'Sign in as the invited address, then accept the invitation while signed in.',
    'sign_in_required',
  );
}

/** The user id a credential acts for (a user's key, a user's token or a console session), if any. */
function userIdOf(p: Principal): string | undefined {
  return p.userId ?? (p.kind === 'session' ? p.subject : undefined);
}

/**
 * Member invitations (the only way a tenant admin adds someone; see docs/auth.md):
 *
 * - Creating one answers the same whatever the e-mail: no account is looked up, only whether the
 *   address is already a member of this tenant (which the member list shows anyway).
 * - The token is the credential of the invited person: shown once, stored as a SHA-256, single-use,
 *   expiring. Unknown, expired, revoked and used tokens answer the same 404.
 * - Accepting signed in (a user's Bearer credential with `admin:write`): the user's e-mail must be the
 *   invitation's. Accepting signed out, with a password, creates the account of the address when
 *   there is none; when there is one it answers 401 `sign_in_required` and checks no password (no
 *   password oracle and no lockout lever for token holders). Whoever holds a valid token can
 *   therefore tell whether the address has an account: the token stands for control of the address
 *   (like a password-reset link), and the owner of the address knows that anyway. An inviting admin
 *   who uses the token themselves spends it (when it creates the account) and is recorded in the
 *   audit log as an anonymous acceptance with their IP.
 */
export function invitationRoutes(router: PluginRouter, ctx: PluginContext<TenancyConfig>, rt: Runtime): Invitations {
  let store: InvitationStore | undefined;
  const invitations = () =>
    (store ??= new InvitationStore(ctx.database.sequelize, ctx.table('invitations'), rt().store, () =>
      ctx.clock.now(),
    ));

  const acceptUrl = (token: string) => {
    const cfg = ctx.config.invitations;
    const base = cfg.publicUrl ?? `http://localhost:${ctx.coreConfig.server.port}`;
    return `${base}${cfg.consolePath}invite?token=${encodeURIComponent(token)}`;
  };

  const authorizeRole = (c: Context, tenantId: string, role: string) => {
    rt().access.authorize(c, 'members:write', tenantId);
    if (role === 'owner') rt().access.authorize(c, 'members:owner', tenantId);
  };

  const create: Invitations['create'] = async (c, tenantId, body) => {
    authorizeRole(c, tenantId, body.role);
    await existingTenant(rt(), tenantId);
    const actor = actorOf(c);
    const cfg = ctx.config.invitations;
    return rt().store.transaction(async (t) => {
      if (await invitations().isMember(tenantId, body.email, t)) {
        throw TenancyErrors.create(
          'already_member',
          'This address already belongs to a member of the tenant; change their role with PATCH on the member instead.',
        );
      }
      const { invitation, token, replaced } = await invitations().create(
        { tenantId, email: body.email, role: body.role, teamIds: body.team_ids, invitedBy: actor.id },
        cfg.ttlHours * 3_600_000,
        t,
      );
      const json = invitationJson(invitation);
      for (const r of replaced)
        await rt().audit.write(
          {
            tenantId,
            action: 'invitation.revoke',
            targetType: 'invitation',
            targetId: r.id,
            before: invitationJson({ ...r, status: 'pending' }),
            after: { ...invitationJson(r), reason: 'replaced', replaced_by: invitation.id },
          },
          actor,
          t,
        );
      await rt().audit.write(
        { tenantId, action: 'invitation.create', targetType: 'invitation', targetId: invitation.id, after: json },
        actor,
        t,
      );
      return { ...json, token, accept_url: acceptUrl(token) };
    });
  };

  router.post(
    '/admin/v1/tenants/:tenantId/invitations',
    async (c) => {
      const { tenantId } = paramsOf<z.output<typeof tenantParams>>(c);
      const out = await create(c, tenantId, bodyOf<z.output<typeof s.invitationCreate>>(c));
      c.status = 201;
      c.set('location', `/admin/v1/tenants/${tenantId}/invitations/${out.id}`);
      c.body = out;
    },
    writeRoute(
      'Invite someone by e-mail (the token is shown once; the same answer whether the address has an account)',
      {
        params: tenantParams,
        body: s.invitationCreate,
        responses: { 201: s.invitationCreated },
        operationId: 'createInvitation',
      },
    ),
  );

  router.get(
    '/admin/v1/tenants/:tenantId/invitations',
    async (c) => {
      const { tenantId } = paramsOf<z.output<typeof tenantParams>>(c);
      rt().access.authorize(c, 'members:read', tenantId);
      await existingTenant(rt(), tenantId);
      const q = queryOf<z.output<typeof s.invitationListQuery>>(c);
      const page = await invitations().list(tenantId, { limit: q.limit, cursor: q.cursor, status: q.status });
      c.body = { data: page.data.map(invitationJson), next_cursor: page.nextCursor };
    },
    readRoute("List a tenant's invitations (never their tokens)", {
      params: tenantParams,
      query: s.invitationListQuery,
      responses: { 200: s.invitationListOut },
      operationId: 'listInvitations',
    }),
  );

  router.delete(
    '/admin/v1/tenants/:tenantId/invitations/:invitationId',
    async (c) => {
      const { tenantId, invitationId } = paramsOf<z.output<typeof s.invitationParams>>(c);
      rt().access.authorize(c, 'members:write', tenantId);
      await existingTenant(rt(), tenantId);
      const actor = actorOf(c);
      await rt().store.transaction(async (t) => {
        const before = await invitations().get(tenantId, invitationId, t);
        if (!before) throw TenancyErrors.create('invitation_not_found', 'No such invitation in this tenant.');
        if (before.role === 'owner') rt().access.authorize(c, 'members:owner', tenantId);
        if (!(await invitations().revoke(tenantId, invitationId, t))) {
          throw TenancyErrors.create(
            'invitation_not_pending',
            `This invitation is already ${before.status}; only a pending invitation can be revoked.`,
          );
        }
        await rt().audit.write(
          {
            tenantId,
            action: 'invitation.revoke',
            targetType: 'invitation',
            targetId: invitationId,
            before: invitationJson(before),
            after: { ...invitationJson(before), status: 'revoked' },
          },
          actor,
          t,
        );
      });
      c.status = 204;
    },
    writeRoute('Revoke a pending invitation (its token stops working)', {
      params: s.invitationParams,
      responses: { 204: null },
      operationId: 'revokeInvitation',
    }),
  );

  const publicRoute = (summary: string, schema: RouteOptions['schema'], auth: 'none' | 'optional'): RouteOptions => ({
    auth,
    tags: ['admin'],
    summary,
    bodyLimit: 16 * 1024,
    schema: { tag: 'tenancy', ...schema },
  });

  router.get(
    '/admin/v1/invitations/:token',
    async (c) => {
      // The token is a credential in the path: the kernel's server span records url.path with a
      // `:token` parameter's value redacted (core/src/http/spanPath.ts).
      const { token } = paramsOf<z.output<typeof s.tokenParams>>(c);
      const inv = await invitations().findByToken(token);
      const tenant = inv ? await rt().store.tenants.get(inv.tenantId) : undefined;
      if (!inv || !tenant) throw invitationNotFound();
      c.set('cache-control', 'no-store');
      c.body = {
        tenant: { id: tenant.id, name: tenant.name },
        email: inv.email,
        role: inv.role,
        expires_at: inv.expiresAt.toISOString(),
      };
    },
    publicRoute(
      'What an invitation is for (the token is the credential; no other authentication)',
      { params: s.tokenParams, responses: { 200: s.invitationPublic }, operationId: 'getInvitationByToken' },
      'none',
    ),
  );

  router.post(
    '/admin/v1/invitations/accept',
    async (c) => {
      const body = bodyOf<z.output<typeof s.invitationAccept>>(c);
      const inv = await invitations().findByToken(body.token);
      // A deleted tenant's invitations go with it (foreign key); the check covers a database that
      // does not enforce foreign keys, where a membership in a missing tenant would otherwise appear.
      if (!inv || !(await rt().store.tenants.get(inv.tenantId))) throw invitationNotFound();
      const principal = PrincipalKey.get(c);
      const store = rt().store;
      let user: UserRecord | undefined;
      let password: string | undefined;
      if (principal) {
        const userId = userIdOf(principal);
        if (!userId)
          throw TenancyErrors.create(
            'user_credential_required',
            "Accept an invitation with a user's credential (sign in as the invited address), or without any credential and with a password.",
          );
        if (principal.superadmin !== true && !principal.scopes.includes('admin:write')) {
          throw CoreErrors.create(
            'insufficient_scope',
            'This credential lacks the `admin:write` scope needed to accept an invitation; sign in to the console or use a key that has it.',
          );
        }
        user = await store.users.get(userId);
        if (!user || user.status !== 'active' || user.email !== inv.email.toLowerCase()) {
          throw TenancyErrors.create(
            'invitation_email_mismatch',
            'This invitation is for another e-mail address; sign in as the invited address to accept it.',
          );
        }
      } else {
        if (body.password === undefined) {
          throw TenancyErrors.create(
            'password_required',
            'Sign in as the invited address and accept, or send `password`: the password of the account of the address, or the one for its new account.',
            { param: 'password' },
          );
        }
        // An existing account is never signed in here: checking its password would make this route
        // a password oracle (or, counting failures, a way to lock anyone out) for whoever holds a
        // token, and an admin can make tokens for any address. Its owner signs in the usual way.
        if (await store.users.byEmail(inv.email)) throw signInRequired();
        password = body.password;
      }
      const actor = actorOf(c);
      const out = await store.transaction(async (t) => {
        let account = user;
        if (!account) {
          // A concurrent creation of the same address answers 409 email_taken: retrying then signs in.
          account = await store.users.create({ email: inv.email, password }, t);
          // Platform entry (no tenant): the tenant's admins do not see which members were new accounts.
          await rt().audit.write(
            {
              tenantId: null,
              action: 'user.create',
              targetType: 'user',
              targetId: account.id,
              after: { id: account.id, email: account.email, via: 'invitation', invitation_id: inv.id },
            },
            actor,
            t,
          );
        }
        if (!(await invitations().claim(inv, account.id, t))) throw invitationNotFound();
        let membership = await store.memberships.get(inv.tenantId, account.id, t);
        if (!membership) {
          const team = inv.teamIds.length ? await store.teams.get(inv.tenantId, inv.teamIds[0], t) : undefined;
          membership = await store.memberships.add(
            { tenantId: inv.tenantId, userId: account.id, role: inv.role, teamId: team?.id ?? null },
            t,
          );
        }
        await rt().audit.write(
          {
            tenantId: inv.tenantId,
            action: 'invitation.accept',
            targetType: 'invitation',
            targetId: inv.id,
            before: invitationJson(inv),
            after: {
              ...invitationJson(inv),
              status: 'accepted',
              accepted_by: account.id,
              member_role: membership.role,
              team_id: membership.teamId,
            },
          },
          actor,
          t,
        );
        return { tenant_id: inv.tenantId, role: membership.role };
      });
      c.body = out;
    },
    publicRoute(
      'Accept an invitation: signed in as the invited address, or signed out with a password (creates the account when the address has none)',
      { body: s.invitationAccept, responses: { 200: s.invitationAccepted }, operationId: 'acceptInvitation' },
      'optional',
    ),
  );

  return { store: invitations, create };
}
