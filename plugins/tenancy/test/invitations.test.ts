/**
 * Member invitations and neutral slug answers (issue 13, finding 9), on SQLite and on PostgreSQL +
 * Redis: a tenant admin can no longer add a platform user without their consent, and no answer says
 * whether an e-mail has an account or which tenant holds a slug.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Database } from '@aihub/core/plugin-api';
import { CoreTokens } from '@aihub/core/testing';
import { TENANCY, type TenancyService } from '@aihub/plugin-tenancy';
import { DIALECTS, call, member, principal, startHarness, superadmin, type As, type Harness } from './support';

const PASSWORD = 'a long enough password';

/** The fields of an invitation answer that may not depend on the e-mail (nor on its account). */
function shape(body: Record<string, unknown>): unknown {
  const { id: _id, email: _email, token, accept_url, created_at: _c, expires_at: _e, ...rest } = body;
  return { ...rest, token: typeof token, accept_url: typeof accept_url, keys: Object.keys(body).sort() };
}

for (const kind of DIALECTS) {
  describe(`member invitations on ${kind}`, () => {
    let h: Harness;
    let svc: TenancyService;
    let db: Database;
    let a: string;
    let b: string;
    let teamA: string;
    const su = superadmin();
    let adminA: As;
    let adminB: As;
    /** A registered user who is in no tenant of A's admin. */
    let known: { id: string; email: string };

    const signedIn = (userId: string, tenantId: string | null, scopes = ['admin:read', 'admin:write']) =>
      principal({ kind: 'session', subject: userId, userId, tenantId, role: 'viewer', scopes });

    before(async () => {
      h = await startHarness(kind);
      svc = h.gw.kernel.root.get(TENANCY as never) as TenancyService;
      db = h.gw.kernel.root.get(CoreTokens.Database as never) as Database;
      a = (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Acme', slug: 'acme-inv' })).body.id as string;
      b = (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Globex', slug: 'globex-inv' })).body.id as string;
      teamA = (await call(h.gw, 'POST', `/admin/v1/tenants/${a}/teams`, su, { name: 'Core' })).body.id as string;
      adminA = member(a, 'admin');
      adminB = member(b, 'admin');
      const u = await svc.createUser({ email: 'Known@Example.com', password: PASSWORD });
      await svc.addMembership({ tenantId: b, userId: u.id, role: 'developer' });
      known = { id: u.id, email: u.email };
    });
    after(async () => {
      await h?.close();
    });

    it('answers the same whether or not the e-mail has an account, with a one-time token and accept link', async () => {
      const r1 = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'known@example.com',
        role: 'developer',
        team_ids: [teamA],
      });
      const r2 = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'nobody-yet@example.com',
        role: 'developer',
        team_ids: [teamA],
      });
      assert.equal(r1.status, 201);
      assert.equal(r2.status, 201);
      assert.deepEqual(shape(r1.body), shape(r2.body));
      assert.equal(r1.body.status, 'pending');
      assert.deepEqual(r1.body.team_ids, [teamA]);
      assert.match(String(r1.body.token), /^aihi_[A-Za-z0-9_-]{43}$/);
      assert.match(String(r1.body.accept_url), /^http:\/\/localhost:\d+\/admin\/invite\?token=aihi_/);
      assert.ok(String(r1.body.accept_url).endsWith(String(r1.body.token)));
      const expires = Date.parse(String(r1.body.expires_at)) - Date.parse(String(r1.body.created_at));
      assert.ok(Math.abs(expires - 7 * 86_400_000) < 60_000, 'expires in 7 days by default');
      // Stored hashed: the token appears nowhere in the database.
      const rows = await db.sequelize.query('SELECT * FROM tenancy_invitations', { type: 'SELECT' });
      assert.ok(!JSON.stringify(rows).includes(String(r1.body.token)));
      // Listed without tokens.
      const list = await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations?status=pending`, adminA);
      assert.equal(list.status, 200);
      assert.equal((list.body.data as unknown[]).length, 2);
      assert.ok(!JSON.stringify(list.body).includes('aihi_'));
    });

    it('no longer lets a tenant admin add an existing platform user directly: POST members invites instead (202)', async () => {
      const existing = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/members`, adminA, {
        email: known.email,
        role: 'admin',
      });
      const fresh = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/members`, adminA, {
        email: 'someone-new@example.com',
        role: 'admin',
      });
      assert.equal(existing.status, 202);
      assert.equal(fresh.status, 202);
      assert.deepEqual(shape(existing.body), shape(fresh.body));
      assert.equal(
        (await call(h.gw, 'GET', `/admin/v1/tenants/${a}/members/${known.id}`, adminA)).status,
        404,
        'not a member without consent',
      );
      assert.equal(
        await svc.findUserByEmail('someone-new@example.com'),
        undefined,
        'no account created for an invitation',
      );
      // A superadmin still adds directly.
      const direct = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/members`, su, {
        email: 'direct@example.com',
        role: 'viewer',
      });
      assert.equal(direct.status, 201);
      assert.equal(direct.body.role, 'viewer');
    });

    it('replaces a pending invitation on re-invite; refuses members and owner invites without members:owner', async () => {
      const first = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'twice@example.com',
        role: 'viewer',
      });
      const second = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'TWICE@example.com',
        role: 'developer',
      });
      assert.equal(second.status, 201);
      assert.equal((await call(h.gw, 'GET', `/admin/v1/invitations/${first.body.token}`)).status, 404);
      assert.equal((await call(h.gw, 'GET', `/admin/v1/invitations/${second.body.token}`)).body.role, 'developer');
      const revoked = await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations?status=revoked`, adminA);
      assert.ok((revoked.body.data as { id: string }[]).some((i) => i.id === first.body.id));
      const asMember = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'direct@example.com',
        role: 'viewer',
      });
      assert.equal(asMember.status, 409);
      assert.equal(asMember.body.code, 'already_member');
      const owner = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'boss@example.com',
        role: 'owner',
      });
      assert.equal(owner.status, 403);
      assert.equal(
        (
          await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, member(a, 'owner'), {
            email: 'boss@example.com',
            role: 'owner',
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, member(a, 'developer'), {
            email: 'x@example.com',
            role: 'viewer',
          })
        ).status,
        403,
      );
      const badTeam = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'x@example.com',
        role: 'viewer',
        team_ids: ['team_nope'],
      });
      assert.equal(badTeam.status, 400);
      assert.equal(badTeam.body.code, 'team_not_found');
    });

    it('keeps tenants apart: another tenant’s invitations answer 404', async () => {
      const inv = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'apart@example.com',
        role: 'viewer',
      });
      assert.equal((await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations`, adminB)).status, 404);
      assert.equal(
        (await call(h.gw, 'DELETE', `/admin/v1/tenants/${a}/invitations/${inv.body.id}`, adminB)).status,
        404,
      );
      assert.equal(
        (await call(h.gw, 'DELETE', `/admin/v1/tenants/${b}/invitations/${inv.body.id}`, adminB)).status,
        404,
      );
      assert.equal((await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations`)).status, 401);
    });

    it('shows an invitation by token without authentication; every bad token answers the same 404', async () => {
      const inv = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'Show@Example.com',
        role: 'developer',
      });
      const shown = await call(h.gw, 'GET', `/admin/v1/invitations/${inv.body.token}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, {
        tenant: { id: a, name: 'Acme' },
        email: 'show@example.com',
        role: 'developer',
        expires_at: inv.body.expires_at,
      });
      assert.equal(shown.headers.get('cache-control'), 'no-store');
      const answers = await Promise.all(
        ['aihi_' + 'A'.repeat(43), 'nope', '%27%20OR%201%3D1', String(inv.body.token).slice(0, -1) + 'x'].map((t) =>
          call(h.gw, 'GET', `/admin/v1/invitations/${t}`),
        ),
      );
      for (const r of answers) {
        assert.equal(r.status, 404);
        assert.equal(r.body.code, 'invitation_not_found');
        assert.equal(r.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      }
    });

    it('accepts signed in as the invited address (any casing), once; refuses other users and non-user credentials', async () => {
      const inv = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'KNOWN@example.com',
        role: 'developer',
        team_ids: [teamA],
      });
      const token = inv.body.token as string;
      const other = await svc.createUser({ email: 'other@example.com', password: PASSWORD });
      const wrong = await call(h.gw, 'POST', '/admin/v1/invitations/accept', signedIn(other.id, null), { token });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.code, 'invitation_email_mismatch');
      const key = await call(h.gw, 'POST', '/admin/v1/invitations/accept', member(b, 'admin'), { token });
      assert.equal(key.status, 403, 'a tenant key without a user cannot accept');
      const readOnly = await call(h.gw, 'POST', '/admin/v1/invitations/accept', signedIn(known.id, b, ['admin:read']), {
        token,
      });
      assert.equal(readOnly.status, 403);
      const ok = await call(h.gw, 'POST', '/admin/v1/invitations/accept', signedIn(known.id, b), { token });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body, { tenant_id: a, role: 'developer' });
      const m = await svc.getMembership(a, known.id);
      assert.equal(m?.role, 'developer');
      assert.equal(m?.teamId, teamA);
      const again = await call(h.gw, 'POST', '/admin/v1/invitations/accept', signedIn(known.id, b), { token });
      assert.equal(again.status, 404);
      assert.equal((await call(h.gw, 'GET', `/admin/v1/invitations/${token}`)).status, 404, 'a used token is spent');
      const accepted = await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations?status=accepted`, adminA);
      assert.ok((accepted.body.data as { id: string }[]).some((i) => i.id === inv.body.id));
    });

    it('accepts signed out with a password when the address has no account; an existing account must sign in (no password check)', async () => {
      const fresh = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'newcomer@example.com',
        role: 'viewer',
      });
      assert.equal(
        (await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, { token: fresh.body.token })).body.code,
        'password_required',
      );
      const short = await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
        token: fresh.body.token,
        password: 'short',
      });
      assert.equal(short.status, 400);
      assert.equal(
        (await call(h.gw, 'GET', `/admin/v1/invitations/${fresh.body.token}`)).status,
        200,
        'a refused accept does not spend the token',
      );
      const created = await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
        token: fresh.body.token,
        password: PASSWORD,
        name: 'New Comer',
      });
      assert.equal(created.status, 200);
      assert.deepEqual(created.body, { tenant_id: a, role: 'viewer' });
      const user = (await svc.findUserByEmail('newcomer@example.com'))!;
      assert.ok(await svc.verifyPassword(user, PASSWORD));
      assert.equal((await svc.getMembership(a, user.id))?.role, 'viewer');

      const mine = await call(h.gw, 'POST', `/admin/v1/tenants/${b}/invitations`, adminB, {
        email: 'other@example.com',
        role: 'viewer',
      });
      const other = (await svc.findUserByEmail('other@example.com'))!;
      for (const pw of ['not the password at all', PASSWORD]) {
        const r = await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
          token: mine.body.token,
          password: pw,
        });
        assert.equal(r.status, 401);
        assert.equal(r.body.code, 'sign_in_required', 'the same answer whatever the password: no oracle');
      }
      assert.equal(
        (await svc.findUserByEmail('other@example.com'))!.failedLogins,
        0,
        'no lockout lever for token holders',
      );
      assert.equal(await svc.getMembership(b, other.id), undefined);
      const good = await call(h.gw, 'POST', '/admin/v1/invitations/accept', signedIn(other.id, null), {
        token: mine.body.token,
      });
      assert.equal(good.status, 200);
      assert.equal((await svc.getMembership(b, other.id))?.role, 'viewer');
    });

    it('refuses expired and revoked invitations, and audits every action without the token', async () => {
      const exp = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'late@example.com',
        role: 'viewer',
      });
      await db.sequelize.query('UPDATE tenancy_invitations SET expires_at = :past WHERE id = :id', {
        replacements: { past: new Date(Date.now() - 1000), id: exp.body.id },
      });
      assert.equal((await call(h.gw, 'GET', `/admin/v1/invitations/${exp.body.token}`)).status, 404);
      assert.equal(
        (
          await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
            token: exp.body.token,
            password: PASSWORD,
          })
        ).status,
        404,
      );
      const expired = await call(h.gw, 'GET', `/admin/v1/tenants/${a}/invitations?status=expired`, adminA);
      assert.deepEqual(
        (expired.body.data as { id: string; status: string }[]).map((i) => [i.id, i.status]),
        [[exp.body.id, 'expired']],
      );
      assert.equal(await svc.findUserByEmail('late@example.com'), undefined);

      const rev = await call(h.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, adminA, {
        email: 'revoked@example.com',
        role: 'viewer',
      });
      assert.equal(
        (await call(h.gw, 'DELETE', `/admin/v1/tenants/${a}/invitations/${rev.body.id}`, adminA)).status,
        204,
      );
      assert.equal(
        (await call(h.gw, 'DELETE', `/admin/v1/tenants/${a}/invitations/${rev.body.id}`, adminA)).body.code,
        'invitation_not_pending',
      );
      assert.equal(
        (
          await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
            token: rev.body.token,
            password: PASSWORD,
          })
        ).status,
        404,
      );

      const audit = await call(h.gw, 'GET', `/admin/v1/tenants/${a}/audit?limit=200`, adminA);
      const actions = new Set((audit.body.data as { action: string }[]).map((e) => e.action));
      for (const action of ['invitation.create', 'invitation.revoke', 'invitation.accept'])
        assert.ok(actions.has(action), action);
      assert.ok(!actions.has('user.create'), 'account creation is a platform entry, not the tenant’s');
      const all = JSON.stringify(await db.sequelize.query('SELECT * FROM tenancy_audit_log', { type: 'SELECT' }));
      assert.ok(
        !all.includes(String(rev.body.token)) && !all.includes(String(exp.body.token)),
        'no token in the audit log',
      );
    });

    it('drops a deleted tenant’s invitations: their tokens answer 404', async () => {
      const gone = (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'Gone', slug: 'gone-inv' })).body
        .id as string;
      const inv = await call(h.gw, 'POST', `/admin/v1/tenants/${gone}/invitations`, su, {
        email: 'orphan@example.com',
        role: 'viewer',
      });
      assert.equal(inv.status, 201);
      assert.equal((await call(h.gw, 'DELETE', `/admin/v1/tenants/${gone}`, su)).status, 204);
      assert.equal((await call(h.gw, 'GET', `/admin/v1/invitations/${inv.body.token}`)).status, 404);
      assert.equal(
        (
          await call(h.gw, 'POST', '/admin/v1/invitations/accept', undefined, {
            token: inv.body.token,
            password: PASSWORD,
          })
        ).status,
        404,
      );
      assert.equal(await svc.findUserByEmail('orphan@example.com'), undefined);
    });

    it('answers a tenant admin’s slug conflict neutrally (taken or reserved alike); only superadmins create tenants', async () => {
      const taken = await call(h.gw, 'PATCH', `/admin/v1/tenants/${a}`, adminA, { slug: 'globex-inv' });
      const reserved = await call(h.gw, 'PATCH', `/admin/v1/tenants/${a}`, adminA, { slug: 'admin' });
      assert.equal(taken.status, 409);
      assert.deepEqual([taken.body.code, taken.body.detail], [reserved.body.code, reserved.body.detail]);
      assert.equal(taken.body.code, 'slug_unavailable');
      assert.ok(!JSON.stringify(taken.body).includes('globex') && !JSON.stringify(taken.body).includes(b));
      assert.equal((await call(h.gw, 'PATCH', `/admin/v1/tenants/${a}`, adminA, { slug: 'acme-renamed' })).status, 200);
      assert.equal(
        (await call(h.gw, 'PATCH', `/admin/v1/tenants/${a}`, su, { slug: 'globex-inv' })).body.code,
        'slug_taken',
      );
      assert.equal(
        (await call(h.gw, 'POST', '/admin/v1/tenants', adminA, { name: 'Probe', slug: 'globex-inv' })).status,
        403,
      );
    });
  });
}
