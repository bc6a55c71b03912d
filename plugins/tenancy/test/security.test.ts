/**
 * The tenancy admin API as an attack surface, on SQLite and on PostgreSQL + Redis: cross-tenant
 * access (404, never data), role and scope enforcement (403), unauthenticated calls (401), and
 * hostile or oversized input in every text field (4xx or stored verbatim, never 500).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIALECTS, call, member, principal, startHarness, superadmin, type As, type Harness } from './support';

interface Fixture {
  a: string;
  b: string;
  teamA: string;
  teamB: string;
  userA: string;
  userB: string;
}

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE tenancy_tenants; --",
  '" OR 1=1 --',
  '1); DELETE FROM tenancy_users WHERE (1=1',
  '%',
  '_',
  '\\',
  '$1',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '😀'.repeat(40),
  'a\u0000b',
  '\ud800',
];
const HUGE = 'a'.repeat(10_000);

/** encodeURIComponent, except a lone surrogate becomes the invalid UTF-8 it would be on the wire. */
function urlEncode(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
}

/** `{"vendor":[[[…1…]]]}` as raw JSON text (too deep for JSON.stringify to build). */
function deepBody(depth: number): string {
  return `{"vendor":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
}

for (const kind of DIALECTS) {
  describe(`tenancy security on ${kind}`, () => {
    let h: Harness;
    let f: Fixture;
    const su = superadmin();

    before(async () => {
      h = await startHarness(kind);
      const mk = async (slug: string) =>
        (await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: `Secret ${slug}`, slug })).body.id as string;
      const a = await mk('tenant-a');
      const b = await mk('tenant-b');
      const teamA = (await call(h.gw, 'POST', `/admin/v1/tenants/${a}/teams`, su, { name: 'Team A' })).body
        .id as string;
      const teamB = (await call(h.gw, 'POST', `/admin/v1/tenants/${b}/teams`, su, { name: 'Secret Team B' })).body
        .id as string;
      const userA = (
        await call(h.gw, 'POST', `/admin/v1/tenants/${a}/members`, su, { email: 'owner@a.test', role: 'owner' })
      ).body.user_id as string;
      const userB = (
        await call(h.gw, 'POST', `/admin/v1/tenants/${b}/members`, su, { email: 'owner@b.test', role: 'owner' })
      ).body.user_id as string;
      f = { a, b, teamA, teamB, userA, userB };
    });
    after(async () => {
      await h?.close();
    });

    /** Every tenant-scoped admin route, with ids of tenant `t`. */
    const tenantRoutes = (t: string, team: string, user: string): [string, string, unknown?][] => [
      ['GET', `/admin/v1/tenants/${t}`],
      ['PATCH', `/admin/v1/tenants/${t}`, { name: 'Hijacked' }],
      ['DELETE', `/admin/v1/tenants/${t}`],
      ['GET', `/admin/v1/tenants/${t}/settings`],
      ['PATCH', `/admin/v1/tenants/${t}/settings`, { retentionDays: 1 }],
      ['GET', `/admin/v1/tenants/${t}/members`],
      ['POST', `/admin/v1/tenants/${t}/members`, { email: 'intruder@evil.test', role: 'viewer' }],
      ['GET', `/admin/v1/tenants/${t}/members/${user}`],
      ['PATCH', `/admin/v1/tenants/${t}/members/${user}`, { role: 'viewer' }],
      ['DELETE', `/admin/v1/tenants/${t}/members/${user}`],
      ['GET', `/admin/v1/tenants/${t}/teams`],
      ['POST', `/admin/v1/tenants/${t}/teams`, { name: 'Intruders' }],
      ['GET', `/admin/v1/tenants/${t}/teams/${team}`],
      ['PATCH', `/admin/v1/tenants/${t}/teams/${team}`, { name: 'Hijacked' }],
      ['DELETE', `/admin/v1/tenants/${t}/teams/${team}`],
      ['GET', `/admin/v1/tenants/${t}/audit`],
    ];
    const isWrite = (method: string) => method !== 'GET';

    it("answers 404 (never 403, never data) when a tenant's owner or admin reaches another tenant", async () => {
      const before = await call(h.gw, 'GET', `/admin/v1/audit?tenant_id=${f.b}`, su);
      for (const as of [member(f.a, 'owner'), member(f.a, 'admin')]) {
        for (const [method, path, body] of tenantRoutes(f.b, f.teamB, f.userB)) {
          const r = await call(h.gw, method, path, as, body);
          assert.equal(r.status, 404, `${as.principal.role} ${method} ${path} → ${r.status}`);
          const text = JSON.stringify(r.body);
          assert.ok(!text.includes('Secret'), `${method} ${path} leaked data: ${text}`);
        }
        // Another tenant's team or member through the caller's own tenant path.
        for (const [method, path, body] of [
          ['GET', `/admin/v1/tenants/${f.a}/teams/${f.teamB}`],
          ['PATCH', `/admin/v1/tenants/${f.a}/teams/${f.teamB}`, { name: 'x' }],
          ['DELETE', `/admin/v1/tenants/${f.a}/teams/${f.teamB}`],
          ['GET', `/admin/v1/tenants/${f.a}/members/${f.userB}`],
          ['PATCH', `/admin/v1/tenants/${f.a}/members/${f.userB}`, { role: 'viewer' }],
          ['DELETE', `/admin/v1/tenants/${f.a}/members/${f.userB}`],
        ] as [string, string, unknown?][]) {
          const r = await call(h.gw, method, path, as, body);
          assert.equal(r.status, 404, `${method} ${path} → ${r.status}`);
        }
        const list = await call(h.gw, 'GET', '/admin/v1/tenants', as);
        assert.deepEqual(
          (list.body.data as { id: string }[]).map((t) => t.id),
          [f.a],
        );
      }
      // Another tenant and a tenant that does not exist are indistinguishable.
      const admin = member(f.a, 'admin');
      const other = await call(h.gw, 'GET', `/admin/v1/tenants/${f.b}`, admin);
      const missing = await call(h.gw, 'GET', '/admin/v1/tenants/ten_00000000000000000000000000', admin);
      assert.equal(other.body.code, missing.body.code);
      assert.equal(other.body.detail, missing.body.detail);
      // Nothing in tenant B changed.
      const b = await call(h.gw, 'GET', `/admin/v1/tenants/${f.b}`, su);
      assert.equal(b.body.name, 'Secret tenant-b');
      assert.equal(b.body.status, 'active');
      assert.equal(((await call(h.gw, 'GET', `/admin/v1/tenants/${f.b}/teams`, su)).body.data as unknown[]).length, 1);
      assert.deepEqual(
        ((await call(h.gw, 'GET', `/admin/v1/tenants/${f.b}/members`, su)).body.data as { email: string }[]).map(
          (m) => m.email,
        ),
        ['owner@b.test'],
      );
      const afterAudit = await call(h.gw, 'GET', `/admin/v1/audit?tenant_id=${f.b}`, su);
      assert.deepEqual(afterAudit.body.data, before.body.data);
    });

    it('forbids (403) every admin write to developers and viewers, and enforces the read matrix', async () => {
      for (const role of ['developer', 'viewer'] as const) {
        const as = member(f.a, role);
        for (const [method, path, body] of tenantRoutes(f.a, f.teamA, f.userA).filter(([m]) => isWrite(m))) {
          const r = await call(h.gw, method, path, as, body);
          assert.equal(r.status, 403, `${role} ${method} ${path} → ${r.status}`);
          assert.equal(r.body.code, 'permission_denied');
        }
      }
      const reads: [string, string, number, number][] = [
        // path, description, developer, viewer
        [`/admin/v1/tenants/${f.a}`, 'tenant', 200, 200],
        [`/admin/v1/tenants/${f.a}/teams`, 'teams', 200, 200],
        [`/admin/v1/tenants/${f.a}/members`, 'members', 403, 403],
        [`/admin/v1/tenants/${f.a}/audit`, 'audit', 403, 403],
      ];
      for (const [path, what, dev, viewer] of reads) {
        assert.equal((await call(h.gw, 'GET', path, member(f.a, 'developer'))).status, dev, `developer reads ${what}`);
        assert.equal((await call(h.gw, 'GET', path, member(f.a, 'viewer'))).status, viewer, `viewer reads ${what}`);
      }
      // A tenant credential without a role may do nothing.
      assert.equal((await call(h.gw, 'GET', `/admin/v1/tenants/${f.a}`, principal({ tenantId: f.a }))).status, 403);
      // Tenant admins may not delete their tenant, nor use platform routes.
      const admin = member(f.a, 'admin');
      assert.equal((await call(h.gw, 'DELETE', `/admin/v1/tenants/${f.a}`, admin)).status, 403);
      assert.equal((await call(h.gw, 'PATCH', `/admin/v1/tenants/${f.a}`, admin, { plan: 'enterprise' })).status, 403);
      assert.equal((await call(h.gw, 'PATCH', `/admin/v1/tenants/${f.a}`, admin, { status: 'suspended' })).status, 403);
      for (const as of [admin, member(f.a, 'owner')]) {
        assert.equal(
          (await call(h.gw, 'POST', '/admin/v1/tenants', as, { name: 'Mine', slug: 'mine-now' })).status,
          403,
        );
        assert.equal((await call(h.gw, 'GET', '/admin/v1/users', as)).status, 403);
        assert.equal((await call(h.gw, 'POST', '/admin/v1/users', as, { email: 'x@y.test' })).status, 403);
        assert.equal((await call(h.gw, 'GET', `/admin/v1/users/${f.userA}`, as)).status, 403);
        assert.equal((await call(h.gw, 'GET', '/admin/v1/audit', as)).status, 403);
      }
    });

    it('answers 401 to unauthenticated calls on every route', async () => {
      const all: [string, string, unknown?][] = [
        ...tenantRoutes(f.a, f.teamA, f.userA),
        ['GET', '/admin/v1/tenants'],
        ['POST', '/admin/v1/tenants', { name: 'x', slug: 'xx' }],
        ['GET', '/admin/v1/users'],
        ['POST', '/admin/v1/users', { email: 'a@b.test' }],
        ['GET', `/admin/v1/users/${f.userA}`],
        ['PATCH', `/admin/v1/users/${f.userA}`, { status: 'disabled' }],
        ['DELETE', `/admin/v1/users/${f.userA}`],
        ['GET', '/admin/v1/audit'],
        ['GET', '/admin/v1/me'],
      ];
      for (const [method, path, body] of all) {
        const r = await call(h.gw, method, path, undefined, body);
        assert.equal(r.status, 401, `${method} ${path} → ${r.status}`);
      }
    });

    it('requires admin:read for reads and admin:write for writes (403 insufficient_scope)', async () => {
      const readOnly = member(f.a, 'owner', { scopes: ['admin:read'] });
      const aiOnly = member(f.a, 'owner', { scopes: ['ai:invoke'] });
      for (const [method, path, body] of tenantRoutes(f.a, f.teamA, f.userA)) {
        const r = await call(h.gw, method, path, isWrite(method) ? readOnly : aiOnly, body);
        assert.equal(r.status, 403, `${method} ${path} → ${r.status}`);
        assert.equal(r.body.code, 'insufficient_scope');
      }
      const suRead = { ...superadmin(), principal: { ...su.principal, scopes: ['admin:read'] } } as As;
      suRead.headers = { ...su.headers, 'x-test-principal': JSON.stringify(suRead.principal) };
      assert.equal((await call(h.gw, 'POST', '/admin/v1/tenants', suRead, { name: 'x', slug: 'scope-x' })).status, 403);
      assert.equal((await call(h.gw, 'GET', '/admin/v1/tenants', suRead)).status, 200);
    });

    it('never answers 500 to hostile or oversized strings, and stores what it accepts verbatim', async () => {
      const owner = member(f.a, 'owner');
      const expectSafe = (r: { status: number }, what: string) => assert.ok(r.status < 500, `${what} → ${r.status}`);
      let n = 0;
      for (const v of [...INJECTIONS, HUGE]) {
        n++;
        const slug = `inj-${kind}-${n}`;
        expectSafe(await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: v, slug }), 'tenant name');
        expectSafe(await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'ok', slug: v }), 'tenant slug');
        expectSafe(
          await call(h.gw, 'POST', '/admin/v1/tenants', su, { name: 'ok', slug: `${slug}-p`, plan: v }),
          'tenant plan',
        );
        expectSafe(
          await call(h.gw, 'POST', '/admin/v1/tenants', su, {
            name: 'ok',
            slug: `${slug}-s`,
            settings: { systemPrompt: v, allowedModels: [v], promptTemplates: { t: v }, x: v },
          }),
          'settings',
        );
        expectSafe(await call(h.gw, 'PATCH', `/admin/v1/tenants/${f.a}`, owner, { name: v }), 'patch name');
        expectSafe(
          await call(h.gw, 'PATCH', `/admin/v1/tenants/${f.a}/settings`, owner, {
            systemPrompt: v,
            pii: { hashFields: [v] },
            [v]: 1,
          }),
          'patch settings',
        );
        expectSafe(
          await call(h.gw, 'POST', '/admin/v1/users', su, { email: `${v}@x.test`, password: v }),
          'user email/password',
        );
        expectSafe(await call(h.gw, 'PATCH', `/admin/v1/users/${f.userA}`, su, { email: v }), 'user patch email');
        expectSafe(
          await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/members`, owner, { email: v, role: 'viewer' }),
          'member email',
        );
        expectSafe(
          await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/members`, owner, { email: `m${n}@x.test`, role: v }),
          'member role',
        );
        expectSafe(
          await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/members`, owner, {
            email: `t${n}@x.test`,
            role: 'viewer',
            team_id: v,
          }),
          'member team',
        );
        expectSafe(
          await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/teams`, owner, { name: `${v}-${n}`, description: v }),
          'team',
        );
        const q = urlEncode(v);
        for (const path of [
          `/admin/v1/tenants?q=${q}`,
          `/admin/v1/tenants?status=${q}`,
          `/admin/v1/tenants?cursor=${q}`,
          `/admin/v1/tenants?limit=${q}`,
          `/admin/v1/users?q=${q}`,
          `/admin/v1/tenants/${f.a}/teams?q=${q}`,
          `/admin/v1/tenants/${f.a}/members?role=${q}`,
          `/admin/v1/tenants/${f.a}/audit?action=${q}&actor=${q}&target_type=${q}`,
          `/admin/v1/tenants/${f.a}/audit?since=${q}`,
          `/admin/v1/audit?tenant_id=${q}&until=${q}`,
          `/admin/v1/tenants/${q}`,
          `/admin/v1/users/${q}`,
          `/admin/v1/tenants/${f.a}/teams/${q}`,
          `/admin/v1/tenants/${f.a}/members/${q}`,
        ]) {
          expectSafe(
            await call(h.gw, 'GET', path, path.startsWith('/admin/v1/tenants/') ? owner : su),
            `GET ${path.slice(0, 80)}`,
          );
        }
      }
      // Oversized strings are refused with a clear 400.
      const big = await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/teams`, owner, { name: HUGE });
      assert.equal(big.status, 400);
      assert.equal(big.body.code, 'validation_failed');
      // Dates a database cannot store are refused, not passed on.
      for (const when of ['-200000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '0000-01-01', '1e400']) {
        const r = await call(
          h.gw,
          'GET',
          `/admin/v1/tenants/${f.a}/audit?since=${encodeURIComponent(when)}&until=${encodeURIComponent(when)}`,
          owner,
        );
        assert.equal(r.status, 400, `since=${when} → ${r.status}`);
      }
      // Deeply nested plugin settings are refused, not pushed into the database's JSON parser.
      const nested = await call(h.gw, 'PATCH', `/admin/v1/tenants/${f.a}/settings`, owner, deepBody(100_000));
      assert.equal(nested.status, 400);
      // Malformed JSON and a non-object body.
      assert.equal((await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/teams`, owner, '{"name":')).status, 400);
      assert.equal((await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/teams`, owner, '["x"]')).status, 400);
      // Injection strings that fit are stored and read back verbatim.
      const evil = "Robert'); DROP TABLE tenancy_teams;--";
      const team = await call(h.gw, 'POST', `/admin/v1/tenants/${f.a}/teams`, owner, {
        name: evil,
        description: '%_\\',
      });
      assert.equal(team.status, 201);
      const read = await call(h.gw, 'GET', `/admin/v1/tenants/${f.a}/teams/${team.body.id}`, owner);
      assert.equal(read.body.name, evil);
      assert.equal(read.body.description, '%_\\');
      const search = await call(
        h.gw,
        'GET',
        `/admin/v1/tenants/${f.a}/teams?q=${encodeURIComponent("'); drop")}`,
        owner,
      );
      assert.deepEqual(
        (search.body.data as { id: string }[]).map((t) => t.id),
        [team.body.id],
      );
      // LIKE wildcards in a search are literal characters.
      const pct = await call(h.gw, 'GET', `/admin/v1/tenants?q=${encodeURIComponent('%')}`, su);
      assert.equal(pct.status, 200);
      assert.ok(
        (pct.body.data as { name: string; slug: string }[]).every((t) => t.name.includes('%') || t.slug.includes('%')),
      );
      // And every table is still there.
      assert.equal((await call(h.gw, 'GET', `/admin/v1/tenants/${f.b}/teams`, su)).status, 200);
      assert.equal((await call(h.gw, 'GET', '/admin/v1/users', su)).status, 200);
      assert.equal((await call(h.gw, 'GET', '/admin/v1/tenants', su)).status, 200);
    });
  });
}
