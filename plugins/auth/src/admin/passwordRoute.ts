import { Op } from 'sequelize';
import { z } from 'zod';
import { CoreErrors, GatewayError, type GatewayContext, type PluginRouter } from '@aihub/core/plugin-api';
import { AuthErrors } from '../errors';
import type { OidcPayloadRow } from '../models';
import type { AuthRuntime } from '../runtime';
import { audit, callerOf } from './common';

export const changePasswordBody = z
  .object({
    current_password: z.string().min(1).max(1024).describe('Your current password'),
    new_password: z
      .string()
      .min(1)
      .max(1024)
      .describe('The new password (the length policy is the tenancy plugin’s password.minLength)'),
  })
  .strict();

const passwordChanged = z.object({
  changed: z.literal(true),
  sessions_revoked: z.number().int().describe('Other sign-ins (grants and their refresh tokens) that were ended'),
});

/** The grant of the access token this request came with (`gid`), so the caller's own sign-in survives. */
function currentGrant(ctx: GatewayContext): string | undefined {
  const auth = ctx.get('authorization');
  const token = auth.startsWith('Bearer ') || auth.startsWith('bearer ') ? auth.slice(7).trim() : '';
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    // Already verified by the authenticate hook: only the claim is read here.
    const gid = (JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as { gid?: unknown }).gid;
    return typeof gid === 'string' ? gid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends every other sign-in of the user: their grants with codes and refresh tokens are deleted and
 * the grants' access tokens denied on every instance; the authorization server's other login
 * sessions go too (the next authorization there asks for the new password). The grant in use, and
 * the session it belongs to, are kept.
 */
async function revokeOtherSignIns(rt: AuthRuntime, userId: string, keep: string | undefined): Promise<number> {
  const { OidcPayload } = rt.models;
  const sequelize = OidcPayload.sequelize!;
  const fn = sequelize.getDialect() === 'postgres' ? 'strpos' : 'instr';
  // The payload is oidc-provider's JSON; accountId is the user id (no wildcard escaping: strpos/instr).
  const ofUser = sequelize.where(
    sequelize.fn(fn, sequelize.col('payload'), JSON.stringify({ accountId: userId }).slice(1, -1)),
    Op.gt,
    0,
  );
  const grants = (await OidcPayload.findAll({
    attributes: ['id'],
    where: { [Op.and]: [{ kind: 'Grant' }, ofUser] },
    raw: true,
  })) as unknown as Pick<OidcPayloadRow, 'id'>[];
  const ended = grants.map((g) => g.id).filter((id) => id !== keep);
  if (ended.length > 0) {
    await OidcPayload.destroy({
      where: { [Op.or]: [{ grant_id: { [Op.in]: ended } }, { kind: 'Grant', id: { [Op.in]: ended } }] },
    });
    for (const grantId of ended) await rt.oauth?.denyGrant(grantId);
  }
  // Refresh tokens without offline_access die with their login session: keep the session that holds the
  // grant in use (its payload lists the grant id), end the others.
  const sessions = [{ kind: 'Session' }, ofUser] as unknown[];
  if (keep) sessions.push(sequelize.where(sequelize.fn(fn, sequelize.col('payload'), JSON.stringify(keep)), Op.eq, 0));
  await OidcPayload.destroy({ where: { [Op.and]: sessions } as never });
  return ended.length;
}

/**
 * `POST /admin/v1/me/password`: a signed-in user changes their own password. The auth plugin owns
 * it because it owns what must end with the old password: the user's other sign-ins.
 */
export function passwordRoute(router: PluginRouter, rt: () => AuthRuntime): void {
  router.post(
    '/admin/v1/me/password',
    async (ctx) => {
      const r = rt();
      const caller = callerOf(ctx);
      const body = ctx.request.body as z.output<typeof changePasswordBody>;
      if (caller.kind === 'api_key' || !caller.userId) {
        throw CoreErrors.create(
          'user_session_required',
          'Sign in as yourself (the console, or an OAuth access token of your user) to change your password; API keys cannot.',
        );
      }
      const tenancy = r.tenancy();
      const user = await tenancy.getUser(caller.userId);
      if (!user) throw CoreErrors.create('user_not_found', 'Your user no longer exists.');
      if (tenancy.isLocked(user))
        throw AuthErrors.create('account_locked', 'Too many wrong passwords: try again later.');
      if (!(await tenancy.verifyPassword(user, body.current_password))) {
        // Counted like a failed login, so this endpoint cannot be used to guess the password faster.
        await tenancy.recordLoginFailure(user.id);
        throw AuthErrors.create('invalid_current_password', 'The current password is wrong.', {
          param: 'current_password',
        });
      }
      if (body.new_password === body.current_password)
        throw AuthErrors.create('password_unchanged', 'The new password is the current one; choose another.', {
          param: 'new_password',
        });
      try {
        await tenancy.updateUser(user.id, { password: body.new_password });
      } catch (err) {
        if (GatewayError.is(err) && err.code === 'invalid_password')
          throw CoreErrors.create('invalid_password', err.message, { param: 'new_password' });
        throw err;
      }
      const revoked = await revokeOtherSignIns(r, user.id, currentGrant(ctx));
      // Never the passwords: the entry says that it changed and what ended.
      await audit(r, ctx, {
        tenantId: null,
        action: 'user.password_change',
        targetType: 'user',
        targetId: user.id,
        after: { sessions_revoked: revoked },
      });
      ctx.set('cache-control', 'no-store');
      ctx.body = { changed: true, sessions_revoked: revoked };
    },
    {
      auth: 'required',
      tags: ['admin'],
      summary: 'Change your own password (current and new); your other sign-ins end',
      bodyLimit: 8 * 1024,
      schema: {
        body: changePasswordBody,
        responses: { 200: passwordChanged },
        tag: 'Account',
        operationId: 'changeMyPassword',
      },
    },
  );
}
