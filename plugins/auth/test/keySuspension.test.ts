import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestGateway } from '@aihub/core/testing';
import { KEY_CONTROL, type KeyControl } from '@aihub/core/plugin-api';
import { bearer, createEnv, json, newAdminKey, rows, sleep, startAuthGateway, type Backend, type Env } from './helpers';

const BACKENDS: Backend[] = ['sqlite', 'postgres'];

interface KeyBody {
  id: string;
  key?: string;
  status: string;
  suspended_at: string | null;
  suspended_reason: string | null;
  suspended_by: string | null;
  limits: unknown;
  name: string;
  user_id: string | null;
}

interface AuditBody {
  data: { action: string; target_id: string; actor_id: string | null; before: KeyBody; after: KeyBody }[];
}

/**
 * Reversible suspension of API keys (`POST …/api-keys/:id/suspend|resume` and KEY_CONTROL): refused
 * with 403 `api_key_suspended` at once, working again with the same secret once resumed, audited,
 * tenant-scoped, and refused for revoked keys.
 */
for (const backend of BACKENDS) {
  describe(`API key suspension (${backend})`, () => {
    let env: Env;
    let gw: TestGateway;
    const admin = newAdminKey();
    let tenantA: string;
    let tenantB: string;

    const call = (method: string, path: string, body?: unknown, key = admin) =>
      gw.fetch(path, {
        method,
        headers: bearer(key, body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const whoami = (key: string) => gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
    const keyPath = (tenant: string, id: string) => `/admin/v1/tenants/${tenant}/api-keys/${id}`;

    async function createKey(tenantId: string, body: Record<string, unknown>, key = admin): Promise<KeyBody> {
      const res = await call('POST', `/admin/v1/tenants/${tenantId}/api-keys`, body, key);
      const out = await json(res);
      assert.equal(res.status, 201, JSON.stringify(out));
      return out as unknown as KeyBody;
    }
    async function audit(tenant: string, id: string): Promise<AuditBody['data']> {
      const res = await call('GET', `/admin/v1/tenants/${tenant}/audit?target_id=${id}`);
      assert.equal(res.status, 200);
      return ((await json(res)) as unknown as AuditBody).data.filter((e) => e.target_id === id);
    }

    before(async () => {
      env = await createEnv(backend);
      gw = await startAuthGateway(env, { adminKey: admin });
      const list = await json(await call('GET', '/admin/v1/tenants'));
      tenantA = (list.data as { id: string; slug: string }[]).find((t) => t.slug === 'default')!.id;
      tenantB = (await json(await call('POST', '/admin/v1/tenants', { name: 'Tenant B', slug: 'tenant-b' })))
        .id as string;
    });

    after(async () => {
      await gw?.stop();
      await env?.db.drop();
    });

    test('a suspended key is refused with 403 api_key_suspended (reason and how to resume), and works again once resumed', async () => {
      const created = await createKey(tenantA, { name: 'hold-me', limits: { requestsPerMinute: 60 } });
      const key = created.key!;
      assert.equal(created.status, 'active');
      assert.equal(created.suspended_at, null);
      assert.equal((await whoami(key)).status, 200, 'cached as working before the suspension');

      const res = await call('POST', `${keyPath(tenantA, created.id)}/suspend`, { reason: 'Spend spike, see #123' });
      const held = (await json(res)) as unknown as KeyBody;
      assert.equal(res.status, 200, JSON.stringify(held));
      assert.equal(held.status, 'suspended');
      assert.ok(held.suspended_at && !Number.isNaN(Date.parse(held.suspended_at)));
      assert.equal(held.suspended_reason, 'Spend spike, see #123');
      assert.match(held.suspended_by ?? '', /^usr_/, 'the user behind the admin credential');
      assert.deepEqual(held.limits, { requestsPerMinute: 60 }, 'settings are kept');

      const denied = await whoami(key);
      const body = (await json(denied)) as { error: { code: string; type: string; message: string } };
      assert.equal(denied.status, 403, JSON.stringify(body));
      assert.equal(body.error.code, 'api_key_suspended');
      assert.equal(body.error.type, 'permission_error', 'OpenAI-style error body');
      assert.match(body.error.message, /suspended: Spend spike, see #123/);
      assert.ok(body.error.message.includes(`/admin/v1/tenants/${tenantA}/api-keys/${created.id}/resume`));
      assert.ok(!body.error.message.includes(key.slice(17)), 'never echoes the secret');

      // The detail and the list show it; the status filter finds it and only it.
      const one = (await json(await call('GET', keyPath(tenantA, created.id)))) as unknown as KeyBody;
      assert.equal(one.status, 'suspended');
      assert.equal(one.suspended_reason, 'Spend spike, see #123');
      const ids = async (status: string) =>
        (
          (await json(await call('GET', `/admin/v1/tenants/${tenantA}/api-keys?status=${status}&limit=200`)))
            .data as KeyBody[]
        ).map((k) => k.id);
      assert.ok((await ids('suspended')).includes(created.id));
      assert.ok(!(await ids('active')).includes(created.id), 'a suspended key is not listed as active');
      for (const k of (await json(await call('GET', `/admin/v1/tenants/${tenantA}/api-keys?status=suspended`)))
        .data as KeyBody[])
        assert.equal(k.status, 'suspended');

      // Suspending again keeps the first suspension and writes no second audit entry.
      const again = (await json(
        await call('POST', `${keyPath(tenantA, created.id)}/suspend`, { reason: 'other' }),
      )) as unknown as KeyBody;
      assert.equal(again.suspended_at, held.suspended_at);
      assert.equal(again.suspended_reason, 'Spend spike, see #123');

      // Settings can still change while it is held; rotation cannot (the new key would escape the hold).
      assert.equal((await call('PATCH', keyPath(tenantA, created.id), { name: 'held' })).status, 200);
      const rotate = await call('POST', `${keyPath(tenantA, created.id)}/rotate`, {});
      assert.equal(rotate.status, 409);
      assert.equal((await json(rotate)).code, 'api_key_not_rotatable');
      assert.equal((await whoami(key)).status, 403, 'the PATCH did not lift the hold');

      const resumed = await call('POST', `${keyPath(tenantA, created.id)}/resume`);
      const after = (await json(resumed)) as unknown as KeyBody;
      assert.equal(resumed.status, 200, JSON.stringify(after));
      assert.equal(after.status, 'active');
      assert.equal(after.suspended_at, null);
      assert.equal(after.suspended_reason, null);
      assert.equal(after.suspended_by, null);
      const ok = await whoami(key);
      assert.equal(ok.status, 200, 'the same secret works again at once');
      assert.equal(((await json(ok)).principal as { keyId: string }).keyId, created.id);

      // Resuming a key that is not suspended is a no-op (200, no audit entry).
      const noop = await call('POST', `${keyPath(tenantA, created.id)}/resume`);
      assert.equal(noop.status, 200);
      assert.equal(((await json(noop)) as unknown as KeyBody).status, 'active');

      const entries = await audit(tenantA, created.id);
      const suspends = entries.filter((e) => e.action === 'api_key.suspend');
      const resumes = entries.filter((e) => e.action === 'api_key.resume');
      assert.equal(suspends.length, 1, 'one suspension audited');
      assert.equal(resumes.length, 1, 'one resumption audited');
      assert.equal(suspends[0].before.status, 'active');
      assert.equal(suspends[0].after.status, 'suspended');
      assert.equal(suspends[0].after.suspended_reason, 'Spend spike, see #123');
      assert.ok(suspends[0].actor_id, 'the actor is recorded');
      assert.equal(resumes[0].before.suspended_reason, 'Spend spike, see #123');
      assert.equal(resumes[0].after.status, 'active');
    });

    test('the hold is stored in the key row (three nullable columns) and cleared on resume', async () => {
      const created = await createKey(tenantA, { name: 'row' });
      await call('POST', `${keyPath(tenantA, created.id)}/suspend`, {});
      const [held] = await rows(
        env,
        `SELECT suspended_at, suspended_reason, suspended_by, revoked_at FROM auth_api_keys WHERE id = '${created.id}'`,
      );
      assert.ok(held.suspended_at, 'suspended_at set');
      assert.equal(held.suspended_reason, null, 'no reason given: none stored');
      assert.ok(held.suspended_by);
      assert.equal(held.revoked_at, null, 'suspension is not revocation');
      await call('POST', `${keyPath(tenantA, created.id)}/resume`);
      const [resumed] = await rows(
        env,
        `SELECT suspended_at, suspended_reason, suspended_by FROM auth_api_keys WHERE id = '${created.id}'`,
      );
      assert.deepEqual({ ...resumed }, { suspended_at: null, suspended_reason: null, suspended_by: null });
    });

    test('suspending a rotated key holds its predecessors still in their grace too, and resuming lifts them', async () => {
      const first = await createKey(tenantA, { name: 'rotated' });
      const rotate = async (id: string) => {
        const res = await call('POST', `${keyPath(tenantA, id)}/rotate`, { grace_seconds: 3600 });
        assert.equal(res.status, 201);
        return (await json(res)) as unknown as KeyBody;
      };
      const second = await rotate(first.id);
      const third = await rotate(second.id);
      for (const k of [first, second, third]) assert.equal((await whoami(k.key!)).status, 200, 'all in grace');
      const held = await call('POST', `${keyPath(tenantA, third.id)}/suspend`, { reason: 'leaked secret' });
      assert.equal(held.status, 200);
      // The old secrets (perhaps the leaked one) must not keep working for the rest of their grace.
      for (const k of [first, second, third]) {
        const res = await whoami(k.key!);
        const body = (await json(res)) as { error: { code: string } };
        assert.equal(res.status, 403, `${k.id} is refused: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, 'api_key_suspended');
        const view = (await json(await call('GET', keyPath(tenantA, k.id)))) as unknown as KeyBody;
        assert.equal(view.status, 'suspended');
        assert.equal(view.suspended_reason, 'leaked secret');
      }
      assert.equal((await call('POST', `${keyPath(tenantA, third.id)}/resume`)).status, 200);
      for (const k of [first, second, third]) assert.equal((await whoami(k.key!)).status, 200, `${k.id} works again`);

      // A predecessor held on its own keeps its own hold: resuming the newest key lifts only what it held.
      assert.equal((await call('POST', `${keyPath(tenantA, first.id)}/suspend`, { reason: 'own hold' })).status, 200);
      assert.equal((await call('POST', `${keyPath(tenantA, third.id)}/suspend`, {})).status, 200);
      assert.equal((await call('POST', `${keyPath(tenantA, third.id)}/resume`)).status, 200);
      assert.equal((await whoami(second.key!)).status, 200);
      assert.equal((await whoami(first.key!)).status, 403, 'still held on its own');
      const own = (await json(await call('GET', keyPath(tenantA, first.id)))) as unknown as KeyBody;
      assert.equal(own.suspended_reason, 'own hold');
    });

    test('a revoked key cannot be suspended or resumed (409 problem); unknown keys are 404', async () => {
      const created = await createKey(tenantA, { name: 'gone' });
      assert.equal((await call('DELETE', keyPath(tenantA, created.id))).status, 200);
      for (const verb of ['suspend', 'resume']) {
        const res = await call('POST', `${keyPath(tenantA, created.id)}/${verb}`, verb === 'suspend' ? {} : undefined);
        const problem = await json(res);
        assert.equal(res.status, 409, `${verb}: ${JSON.stringify(problem)}`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
        assert.equal(problem.code, 'api_key_revoked');
        assert.match(problem.detail as string, /revoked/);
      }
      const missing = await call('POST', `${keyPath(tenantA, 'A'.repeat(12))}/suspend`, {});
      assert.equal(missing.status, 404);
      assert.equal((await json(missing)).code, 'api_key_not_found');
    });

    test('bad bodies are 400: an over-long or control-character reason, an unknown field', async () => {
      const created = await createKey(tenantA, { name: 'bodies' });
      for (const body of [{ reason: 'x'.repeat(501) }, { reason: 'a\u0000b' }, { why: 'x' }, { reason: 5 }]) {
        const res = await call('POST', `${keyPath(tenantA, created.id)}/suspend`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
      }
      assert.equal((await whoami(created.key!)).status, 200, 'nothing was suspended');
    });

    test("a tenant admin suspends and resumes its own tenant's keys, never another tenant's (404); developers cannot (403)", async () => {
      const tenantAdmin = await createKey(tenantA, {
        name: 'tenant-admin',
        role: 'admin',
        scopes: ['admin:read', 'admin:write', 'ai:invoke'],
      });
      const developer = await createKey(tenantA, {
        name: 'dev',
        role: 'developer',
        scopes: ['admin:read', 'admin:write', 'ai:invoke'],
      });
      const own = await createKey(tenantA, { name: 'own' });
      const bKey = await createKey(tenantB, { name: 'b-key' });

      const mine = await call('POST', `${keyPath(tenantA, own.id)}/suspend`, { reason: 'mine' }, tenantAdmin.key);
      assert.equal(mine.status, 200);
      assert.equal(((await json(mine)) as unknown as KeyBody).suspended_by, tenantAdmin.user_id);
      assert.equal((await whoami(own.key!)).status, 403);

      const attempts: [string, Response][] = [
        ['suspend B key', await call('POST', `${keyPath(tenantB, bKey.id)}/suspend`, {}, tenantAdmin.key)],
        ['resume B key', await call('POST', `${keyPath(tenantB, bKey.id)}/resume`, undefined, tenantAdmin.key)],
        ['suspend B key through A', await call('POST', `${keyPath(tenantA, bKey.id)}/suspend`, {}, tenantAdmin.key)],
        [
          'resume B key through A',
          await call('POST', `${keyPath(tenantA, bKey.id)}/resume`, undefined, tenantAdmin.key),
        ],
      ];
      for (const [what, res] of attempts) {
        const text = await res.text();
        assert.equal(res.status, 404, `${what}: ${res.status} ${text}`);
        assert.ok(!text.includes('b-key'), `${what} leaks nothing of B`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json');
      }
      assert.equal((await whoami(bKey.key!)).status, 200, "B's key still works");
      assert.equal((await audit(tenantB, bKey.id)).filter((e) => e.action.startsWith('api_key.s')).length, 0);

      const byDev = await call('POST', `${keyPath(tenantA, own.id)}/resume`, undefined, developer.key);
      assert.equal(byDev.status, 403, 'keys:write is an admin permission');
      assert.equal((await whoami(own.key!)).status, 403, 'still suspended');
      // A tenant admin cannot hold back an owner's key (above its own role).
      const ownerKey = await createKey(tenantA, { name: 'owner-key', role: 'owner' });
      const up = await call('POST', `${keyPath(tenantA, ownerKey.id)}/suspend`, {}, tenantAdmin.key);
      assert.equal(up.status, 403);
      assert.equal((await call('POST', `${keyPath(tenantA, own.id)}/resume`, undefined, tenantAdmin.key)).status, 200);
      assert.equal((await whoami(own.key!)).status, 200);
    });

    test('KEY_CONTROL (automation) suspends and resumes: reason, actor, audit; false for an unknown key', async () => {
      const control = gw.kernel.root.get(KEY_CONTROL as never) as KeyControl;
      const created = await createKey(tenantA, { name: 'automated' });
      assert.equal((await whoami(created.key!)).status, 200);
      assert.equal(await control.suspendKey(tenantA, created.id, 'ops rule r1: budget', 'ops:r1'), true);
      const held = await whoami(created.key!);
      assert.equal(held.status, 403);
      assert.match(((await json(held)).error as { message: string }).message, /ops rule r1: budget/);
      const view = (await json(await call('GET', keyPath(tenantA, created.id)))) as unknown as KeyBody;
      assert.equal(view.suspended_by, 'ops:r1');
      assert.equal(await control.suspendKey(tenantB, created.id, 'wrong tenant'), false, 'tenant-scoped');
      assert.equal(await control.resumeKey(tenantB, created.id), false, 'tenant-scoped');
      assert.equal((await whoami(created.key!)).status, 403);
      assert.equal(await control.resumeKey(tenantA, created.id), true);
      assert.equal((await whoami(created.key!)).status, 200);
      const actions = (await audit(tenantA, created.id)).map((e) => e.action).sort();
      assert.deepEqual(actions, ['api_key.create', 'api_key.resume', 'api_key.suspend']);
      // A long automated reason is cut to the column's width, not refused.
      assert.equal(await control.suspendKey(tenantA, created.id, 'r'.repeat(2000)), true);
      const long = (await json(await call('GET', keyPath(tenantA, created.id)))) as unknown as KeyBody;
      assert.equal(long.suspended_reason?.length, 500);
      assert.equal(long.suspended_by, 'automation');
    });
  });
}

/** Two instances on PostgreSQL + Redis: a suspension or resumption on A holds on B within a second. */
describe('API key suspension across two instances (PostgreSQL + Redis)', () => {
  let env: Env;
  let a: TestGateway;
  let b: TestGateway;
  const admin = newAdminKey();
  let tenant: string;

  const whoami = (gw: TestGateway, key: string) => gw.fetch('/v1/probe/whoami', { headers: bearer(key) });
  async function timeUntil(gw: TestGateway, key: string, status: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < 3000) {
      if ((await whoami(gw, key)).status === status) return performance.now() - started;
      await sleep(10);
    }
    return Infinity;
  }
  const post = (gw: TestGateway, path: string, body?: unknown) =>
    gw.fetch(path, {
      method: 'POST',
      headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify(body ?? {}),
    });

  before(async () => {
    env = await createEnv('postgres');
    a = await startAuthGateway(env, { adminKey: admin });
    b = await startAuthGateway(env, { adminKey: admin });
    tenant = ((await json(await a.fetch('/admin/v1/tenants', { headers: bearer(admin) }))).data as { id: string }[])[0]
      .id;
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await env?.db.drop();
  });

  test('B refuses a key suspended on A, and serves it again once A resumes it, each within a second', async () => {
    const created = await json(await post(a, `/admin/v1/tenants/${tenant}/api-keys`, { name: 'shared' }));
    const key = created.key as string;
    for (let i = 0; i < 3; i++) assert.equal((await whoami(b, key)).status, 200, 'B has the key cached');
    assert.equal((await post(a, `/admin/v1/tenants/${tenant}/api-keys/${created.id}/suspend`)).status, 200);
    const held = await timeUntil(b, key, 403);
    assert.ok(held < 1000, `B refused the suspended key after ${held.toFixed(0)} ms`);
    assert.equal(((await json(await whoami(b, key))).error as { code: string }).code, 'api_key_suspended');
    assert.equal((await post(a, `/admin/v1/tenants/${tenant}/api-keys/${created.id}/resume`)).status, 200);
    const back = await timeUntil(b, key, 200);
    assert.ok(back < 1000, `B served the resumed key after ${back.toFixed(0)} ms`);
  });
});
