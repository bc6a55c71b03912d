/**
 * Issue 13, finding 9, through the production chain (tenancy + auth, real API keys) on the embedded
 * default and PostgreSQL + Redis: a tenant admin adding a platform user by e-mail gets an invitation
 * (the same answer whether the address is registered), the user joins only by accepting with their
 * own credential, and a slug conflict names no other tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRawOtlpReceiver } from './support/secret-scan';
import { send, startSecurityGateway, type SecurityGateway } from './support/security-gateway';

const PASSWORD = 'a long enough password for tests';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`member invitations with real credentials (${kind})`, () => {
    let sg: SecurityGateway;
    let a: string;
    let adminKeyA: string;
    let bobId: string;
    let bobKey: string;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const must = (r: { status: number; text: string; body: any }, what: string) => {
      assert.ok(r.status < 300, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
      return r.body;
    };

    /** A user who is a member of the tenant with `role`, and an API key they own there. */
    async function userWithKey(tenantId: string, email: string, role: string): Promise<{ id: string; key: string }> {
      const su = sg.adminKey;
      const user = must(
        await send(sg.gw, 'POST', '/admin/v1/users', { key: su, body: { email, password: PASSWORD } }),
        'create user',
      );
      must(
        await send(sg.gw, 'POST', `/admin/v1/tenants/${tenantId}/members`, { key: su, body: { email, role } }),
        'add member',
      );
      const key = must(
        await send(sg.gw, 'POST', `/admin/v1/tenants/${tenantId}/api-keys`, {
          key: su,
          body: { name: `${role}-${email}`, scopes: ['admin:read', 'admin:write'], role, user_id: user.id },
        }),
        'create key',
      );
      return { id: user.id, key: key.key };
    }

    before(async () => {
      sg = await startSecurityGateway(kind, { plugins: ['tenancy', 'auth'] });
      const su = sg.adminKey;
      a = must(
        await send(sg.gw, 'POST', '/admin/v1/tenants', { key: su, body: { name: 'Acme', slug: 'acme-e2e' } }),
        'tenant a',
      ).id;
      const b = must(
        await send(sg.gw, 'POST', '/admin/v1/tenants', { key: su, body: { name: 'Globex', slug: 'globex-e2e' } }),
        'tenant b',
      ).id;
      adminKeyA = (await userWithKey(a, 'admin@acme.test', 'admin')).key;
      const bob = await userWithKey(b, 'Bob@Globex.test', 'developer');
      bobId = bob.id;
      bobKey = bob.key;
    });
    after(async () => {
      await sg?.stop();
    });

    it('a tenant admin adding a registered user by e-mail gets an invitation, not a member; the same answer for an unknown address', async () => {
      const registered = await send(sg.gw, 'POST', `/admin/v1/tenants/${a}/members`, {
        key: adminKeyA,
        body: { email: 'bob@globex.test', role: 'developer' },
      });
      const unknown = await send(sg.gw, 'POST', `/admin/v1/tenants/${a}/members`, {
        key: adminKeyA,
        body: { email: 'nobody@globex.test', role: 'developer' },
      });
      assert.equal(registered.status, 202, registered.text);
      assert.equal(unknown.status, 202);
      assert.deepEqual(Object.keys(registered.body).sort(), Object.keys(unknown.body).sort());
      assert.equal(registered.body.user_id, undefined, 'no user id: nothing says the account exists');
      assert.equal(
        (await send(sg.gw, 'GET', `/admin/v1/tenants/${a}/members/${bobId}`, { key: adminKeyA })).status,
        404,
        'not added without consent',
      );

      // Bob accepts with his own key (issued in another tenant): now he is a member of A.
      const accepted = await send(sg.gw, 'POST', '/admin/v1/invitations/accept', {
        key: bobKey,
        body: { token: registered.body.token },
      });
      assert.equal(accepted.status, 200, accepted.text);
      assert.deepEqual(accepted.body, { tenant_id: a, role: 'developer' });
      assert.equal(
        (await send(sg.gw, 'GET', `/admin/v1/tenants/${a}/members/${bobId}`, { key: adminKeyA })).body.role,
        'developer',
      );
      const me = await send(sg.gw, 'GET', '/admin/v1/me', { key: bobKey });
      assert.ok((me.body.memberships as { tenant_id: string }[]).some((m) => m.tenant_id === a));

      // The admin's own key cannot accept someone else's invitation, nor can the bootstrap key (no such address).
      const other = await send(sg.gw, 'POST', `/admin/v1/tenants/${a}/invitations`, {
        key: adminKeyA,
        body: { email: 'carol@globex.test', role: 'viewer' },
      });
      assert.equal(
        (
          await send(sg.gw, 'POST', '/admin/v1/invitations/accept', {
            key: adminKeyA,
            body: { token: other.body.token },
          })
        ).body.code,
        'invitation_email_mismatch',
      );
      // Unauthenticated: a new account with the chosen password.
      const signedOut = await send(sg.gw, 'POST', '/admin/v1/invitations/accept', {
        body: { token: unknown.body.token, password: PASSWORD },
      });
      assert.equal(signedOut.status, 200, signedOut.text);
      const users = await send(sg.gw, 'GET', '/admin/v1/users?q=nobody%40globex.test', { key: sg.adminKey });
      assert.equal(users.body.data.length, 1);
      assert.equal(users.body.data[0].has_password, true);
    });

    it('a tenant admin renaming to another tenant’s slug gets a neutral 409', async () => {
      const r = await send(sg.gw, 'PATCH', `/admin/v1/tenants/${a}`, { key: adminKeyA, body: { slug: 'globex-e2e' } });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'slug_unavailable');
      assert.ok(!r.text.includes('globex'), r.text);
    });
  });
}

describe('invitation tokens stay out of traces', () => {
  it('GET /admin/v1/invitations/{token} records the route as http.route and url.path with the token redacted', async () => {
    const otlp = await startRawOtlpReceiver();
    const sg = await startSecurityGateway('embedded', {
      plugins: ['tenancy', 'auth'],
      config: {
        telemetry: {
          tracing: { endpoint: `${otlp.url}/v1/traces`, sampleRatio: 1 },
          metrics: { processMetrics: false },
        },
      },
    });
    let token = '';
    try {
      const t = await send(sg.gw, 'POST', '/admin/v1/tenants', {
        key: sg.adminKey,
        body: { name: 'Traced', slug: 'traced' },
      });
      const inv = await send(sg.gw, 'POST', `/admin/v1/tenants/${t.body.id}/invitations`, {
        key: sg.adminKey,
        body: { email: 'traced@example.com', role: 'viewer' },
      });
      token = inv.body.token;
      assert.equal((await send(sg.gw, 'GET', `/admin/v1/invitations/${token}`)).status, 200);
    } finally {
      await sg.stop();
      await otlp.close();
    }
    assert.ok(otlp.spans.length > 0, 'spans were exported');
    assert.ok(
      otlp.spans.some((s) => JSON.stringify(s).includes('/admin/v1/invitations/:token')),
      'http.route is the template',
    );
    assert.ok(
      otlp.spans.some((s) => JSON.stringify(s).includes('/admin/v1/invitations/REDACTED')),
      'url.path has the token redacted',
    );
    for (const body of otlp.bodies) assert.ok(!body.includes(token.slice(5)), 'the token reached a span export');
  });
});
