/**
 * The operator routes behind the console's Operations screen: the control state (with which drains
 * the probe will restore), and the manual undo actions — release or force a breaker, switch an alias
 * to its fallbacks and back, reset weights — each recorded as a `manual` event (the audit entries are
 * checked in test/e2e/console/ops.test.ts, which has the audit log), refused
 * to anyone but a superadmin with the right scope. On the embedded default (SQLite, in-process store)
 * and on PostgreSQL + Redis. The engine is off: every change here is made by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  asCaller,
  createBackend,
  identityPlugin,
  startTestGateway,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import opsPlugin from './index';

const ADMIN = { ...asCaller({ superadmin: true, user: 'usr_ops_admin' }), 'content-type': 'application/json' };
const READER = {
  ...asCaller({ superadmin: true, user: 'usr_ops_reader', scopes: ['admin:read'] }),
  'content-type': 'application/json',
};
const TENANT_ADMIN = {
  ...asCaller({ tenant: 'ten_a', user: 'usr_owner', role: 'owner' }),
  'content-type': 'application/json',
};

interface State {
  probe: { enabled: boolean; successes: number };
  deployments: {
    id: string;
    drained: { reason: string; at: string } | null;
    probing: boolean;
    probe: { streak: number; required: number; lastResult: string | null; lastAt: string | null } | null;
    forcedBreaker: string | null;
  }[];
  aliases: {
    alias: string;
    switchedToFallback: boolean;
    weights: Record<string, number>;
    configuredWeights: Record<string, number>;
    overridden: string[];
  }[];
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`ops manual control routes (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), opsPlugin],
        config: {
          ...backend.config,
          plugins: [
            { name: 'test-identity' },
            {
              name: 'ai',
              config: {
                requireAuth: false,
                providers: { m: { type: 'mock', mock: { latencyMs: 0 } } },
                models: {
                  chat: {
                    deployments: [
                      { provider: 'm', model: 'a', name: 'primary', weight: 3 },
                      { provider: 'm', model: 'b', name: 'second', weight: 1 },
                    ],
                    fallbacks: ['backup'],
                  },
                  backup: { deployments: [{ provider: 'm', model: 'c', name: 'backup' }] },
                  // Unnamed: its id is `<provider>/<model>`, with a slash (the console encodes it in the path).
                  plain: { deployments: [{ provider: 'm', model: 'x' }] },
                },
              },
            },
            { name: 'ops', config: { enabled: false } },
          ],
        },
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    const call = async (method: string, path: string, body?: unknown, headers = ADMIN) => {
      const res = await gw.fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const state = async () => (await call('GET', '/admin/v1/ops/state')).body as unknown as State;
    const manualEvents = async (action: string) =>
      (
        (await call('GET', `/admin/v1/ops/events?rule=manual&action=${action}`)).body as {
          data: { target: string; reason: string; outcome: string; revision: number | null }[];
        }
      ).data;

    it('state says which drains the probe restores: a rule’s yes, one by hand no', async () => {
      const ai = gw.runtime(opsPlugin).ai()!;
      await ai.drain('primary', 'ops rule drain-failing: error_ratio of primary is 1 (above 0.5)');
      const drained = await call('POST', '/admin/v1/ops/deployments/second/drain', { reason: 'maintenance' });
      assert.equal(drained.status, 200, JSON.stringify(drained.body));
      const s = await state();
      assert.equal(s.probe.enabled, true);
      assert.equal(s.probe.successes, 3);
      const by = (id: string) => s.deployments.find((d) => d.id === id)!;
      assert.equal(by('primary').probing, true);
      assert.equal(by('second').probing, false);
      assert.equal(by('second').drained?.reason, 'by hand: maintenance');
      assert.ok(Date.parse(by('second').drained!.at) > Date.now() - 60_000);
      assert.equal(by('backup').probing, false);
      for (const id of ['primary', 'second'])
        assert.equal((await call('POST', `/admin/v1/ops/deployments/${id}/restore`)).status, 200);
      assert.ok((await state()).deployments.every((d) => !d.drained && !d.probing));
      // Each manual event names the catalog revision its change made (the restore's is the newest).
      const revs = (
        (await call('GET', '/admin/v1/ai/catalog/revisions')).body as unknown as {
          revisions: { revision: number; action: string | null; target: string | null }[];
        }
      ).revisions;
      const [restored] = await manualEvents('restore');
      assert.equal(restored.revision, revs[0].revision);
      assert.equal(revs[0].action, 'ai_control.restore');
      const [drainEv] = await manualEvents('drain');
      const drainRev = revs.find((x) => x.revision === drainEv.revision);
      assert.equal(drainRev?.action, 'ai_control.drain');
      assert.equal(drainRev?.target, 'deployment/second');
    });

    it('probe progress is read from the shared store by any instance, and only for the current drain', async () => {
      const r = gw.runtime(opsPlugin);
      const ai = r.ai()!;
      await ai.drain('primary', 'ops rule drain-failing: error_ratio of primary is 1 (above 0.5)');
      const at = ai.deployments().find((d) => d.id === 'primary')!.drained!.at;
      // No probe yet: 0 of 3.
      assert.deepEqual((await state()).deployments.find((d) => d.id === 'primary')!.probe, {
        streak: 0,
        required: 3,
        lastResult: null,
        lastStatus: null,
        lastError: null,
        lastAt: null,
      });
      // What the leader's probe loop writes (this gateway's engine is off: it is no leader).
      await r.ctx.store.set(
        'probe:primary',
        JSON.stringify({
          drainedAt: at,
          streak: 2,
          lastResult: 'ok',
          lastStatus: 200,
          lastError: null,
          lastAt: '2026-01-01T00:00:00.000Z',
        }),
      );
      const p = (await state()).deployments.find((d) => d.id === 'primary')!;
      assert.deepEqual(p.probe, {
        streak: 2,
        required: 3,
        lastResult: 'ok',
        lastStatus: 200,
        lastError: null,
        lastAt: '2026-01-01T00:00:00.000Z',
      });
      // A count from an earlier drain of the same deployment is not this drain's.
      await r.ctx.store.set(
        'probe:primary',
        JSON.stringify({ drainedAt: '2020-01-01T00:00:00.000Z', streak: 2, lastResult: 'ok', lastAt: at }),
      );
      assert.equal((await state()).deployments.find((d) => d.id === 'primary')!.probe!.streak, 0);
      // A drain by hand is not probed: no progress.
      await call('POST', '/admin/v1/ops/deployments/second/drain', { reason: 'maintenance' });
      assert.equal((await state()).deployments.find((d) => d.id === 'second')!.probe, null);
      // Restoring ends the count (the next drain starts at 0).
      for (const id of ['primary', 'second'])
        assert.equal((await call('POST', `/admin/v1/ops/deployments/${id}/restore`)).status, 200);
      assert.equal(await r.ctx.store.get('probe:primary'), null);
      assert.ok((await state()).deployments.every((d) => d.probe === null));
    });

    it('holds a breaker open and releases it, each a manual event', async () => {
      const held = await call('POST', '/admin/v1/ops/deployments/primary/breaker', { state: 'open' });
      assert.equal(held.status, 200, JSON.stringify(held.body));
      assert.equal(held.body.forcedBreaker, 'open');
      assert.equal((await state()).deployments.find((d) => d.id === 'primary')!.forcedBreaker, 'open');
      const released = await call('POST', '/admin/v1/ops/deployments/primary/breaker', { state: 'auto' });
      assert.equal(released.body.forcedBreaker, null);
      assert.equal((await state()).deployments.find((d) => d.id === 'primary')!.forcedBreaker, null);
      const ev = await manualEvents('force_breaker');
      assert.deepEqual(
        ev.map((e) => [e.target, e.reason, e.outcome]),
        [
          ['primary', 'breaker released by hand', 'acted'],
          ['primary', 'breaker held open by hand', 'acted'],
        ],
      );
    });

    it('switches an alias to its fallbacks and back; one without fallbacks is refused', async () => {
      const on = await call('POST', '/admin/v1/ops/aliases/chat/fallback', { on: true });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.equal(on.body.switchedToFallback, true);
      assert.equal((await state()).aliases.find((a) => a.alias === 'chat')!.switchedToFallback, true);
      const back = await call('POST', '/admin/v1/ops/aliases/chat/fallback', { on: false });
      assert.equal(back.body.switchedToFallback, false);
      assert.deepEqual(
        (await manualEvents('switch_fallback')).map((e) => e.reason),
        ['switched back to its own deployments by hand', 'switched to its fallbacks by hand'],
      );
      const none = await call('POST', '/admin/v1/ops/aliases/backup/fallback', { on: true });
      assert.equal(none.status, 400);
      assert.equal(none.body.param, 'on');
      const unknown = await call('POST', '/admin/v1/ops/aliases/nope/fallback', { on: true });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.code, 'invalid_rule_target');
      const bad = await call('POST', '/admin/v1/ops/aliases/chat/fallback', { on: 'yes' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'validation_failed');
    });

    it('resets an alias’ weights to the configured ones', async () => {
      const ai = gw.runtime(opsPlugin).ai()!;
      await ai.setWeight('chat', 'primary', 0);
      const overridden = (await state()).aliases.find((a) => a.alias === 'chat')!;
      assert.deepEqual(overridden.weights, { primary: 0, second: 1 });
      assert.deepEqual(overridden.configuredWeights, { primary: 3, second: 1 });
      assert.deepEqual(overridden.overridden, ['primary']);
      // Overridden to its configured value: still an override (a reset would remove it).
      await ai.setWeight('chat', 'second', 1);
      assert.deepEqual((await state()).aliases.find((a) => a.alias === 'chat')!.overridden, ['primary', 'second']);
      const reset = await call('POST', '/admin/v1/ops/aliases/chat/weights/reset');
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.deepEqual(reset.body.weights, { primary: 3, second: 1 });
      const after = (await state()).aliases.find((a) => a.alias === 'chat')!;
      assert.deepEqual(after.weights, { primary: 3, second: 1 });
      assert.deepEqual(after.overridden, []);
      const [ev] = await manualEvents('set_weight');
      assert.equal(ev.target, 'chat');
      assert.equal(typeof ev.revision, 'number');
    });

    it('acts on a deployment whose id has a slash, encoded in the path', async () => {
      const id = (await state()).deployments.find((d) => d.id.includes('/'))!.id;
      const path = `/admin/v1/ops/deployments/${encodeURIComponent(id)}`;
      const drained = await call('POST', `${path}/drain`, { reason: 'slash test' });
      assert.equal(drained.status, 200, JSON.stringify(drained.body));
      assert.equal((await state()).deployments.find((d) => d.id === id)!.drained?.reason, 'by hand: slash test');
      assert.equal((await call('POST', `${path}/restore`)).status, 200);
      assert.equal((await state()).deployments.find((d) => d.id === id)!.drained, null);
    });

    it('refuses an unknown deployment, a bad state, a read-only superadmin and a tenant admin', async () => {
      const unknown = await call('POST', '/admin/v1/ops/deployments/nope/breaker', { state: 'open' });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.param, 'id');
      const bad = await call('POST', '/admin/v1/ops/deployments/primary/breaker', { state: 'half-open' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'validation_failed');
      for (const [headers, path, body] of [
        [READER, '/admin/v1/ops/deployments/primary/breaker', { state: 'open' }],
        [READER, '/admin/v1/ops/aliases/chat/fallback', { on: true }],
        [READER, '/admin/v1/ops/aliases/chat/weights/reset', undefined],
        [TENANT_ADMIN, '/admin/v1/ops/aliases/chat/fallback', { on: true }],
      ] as const) {
        const res = await call('POST', path, body, headers);
        assert.equal(res.status, 403, `${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'ops_superadmin_only');
      }
      const read = await call('GET', '/admin/v1/ops/state', undefined, TENANT_ADMIN);
      assert.equal(read.status, 403);
      assert.equal((await call('GET', '/admin/v1/ops/state', undefined, READER)).status, 200);
      // Nothing changed by the refused calls.
      const s = await state();
      assert.equal(s.deployments.find((d) => d.id === 'primary')!.forcedBreaker, null);
      assert.equal(s.aliases.find((a) => a.alias === 'chat')!.switchedToFallback, false);
    });
  });
}
