/**
 * The key actions through the engine, on the embedded default and on PostgreSQL + Redis: a
 * `suspend_key` rule holds a key back through the auth plugin's real KeyControl (reversibly: 403
 * `api_key_suspended`), a `resume_key` rule lifts it, and both are recorded and audited. The signal
 * is given (a key budget alert as the usage plugin reports it); everything it acts on is real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEY_CONTROL, createSql, type KeyControl } from '@aihub/core/plugin-api';
import { createBackend, createMetrics, startTestGateway, type Backend, type TestGateway } from '@aihub/core/testing';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';
import ops from './index';
import { opsConfig } from './config';
import { Engine } from './Engine';
import { createOpsMetrics } from './metrics';
import { RuleStore } from './RuleStore';
import type { Observation, Signals } from './signals/Signals';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`suspend_key and resume_key act through KeyControl (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const admin = generateApiKey().key;
    let tenant: string;

    const call = (method: string, path: string) =>
      gw.fetch(path, { method, headers: { authorization: `Bearer ${admin}` } });
    const whoami = async (key: string) => {
      const res = await gw.fetch('/admin/v1/me', { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, body: (await res.json()) as { code?: string; error?: { code: string } } };
    };

    /** An engine (leading) with one rule on key budget alerts, reading `alerts` as the budget_alert signal. */
    function engine(rule: 'suspend_key' | 'resume_key', alerts: Observation[]): Engine {
      const rt = gw.runtime(ops);
      const config = opsConfig.parse({
        rules: [
          {
            name: `${rule}-rule`,
            when: { signal: 'budget_alert', above: 0 },
            action: { type: rule },
            cooldownSeconds: 0,
          },
        ],
      });
      const e = new Engine({
        id: `test-${rule}`,
        config,
        store: rt.ctx.store,
        rules: new RuleStore(createSql(rt.ctx.database), rt.ctx.table('rules'), config.rules),
        signals: { reset() {}, read: async () => alerts } as unknown as Signals,
        events: rt.events,
        metrics: createOpsMetrics(createMetrics({ processMetrics: false }).meterFor('ops')),
        logger: rt.ctx.logger,
        http: rt.ctx.http,
        ai: () => undefined,
        keys: () => rt.ctx.tryGet(KEY_CONTROL) as KeyControl | undefined,
      });
      e.lead = async () => true;
      return e;
    }

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [tenancy, auth, ops],
        pluginConfig: {
          auth: {
            keySecret: 'ops-key-actions-secret-0123456789abcdefghijklmn',
            bootstrap: { adminKey: admin, print: false },
          },
        },
        config: backend.config,
      });
      const tenants = (await (await call('GET', '/admin/v1/tenants')).json()) as { data: { id: string }[] };
      tenant = tenants.data[0].id;
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('suspends the alert’s key, then a resume_key rule lifts it; unknown keys and missing tenants fail the decision', async () => {
      const res = await gw.fetch(`/admin/v1/tenants/${tenant}/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'watched', scopes: ['admin:read'], role: 'viewer' }),
      });
      const key = (await res.json()) as { id: string; key: string };
      assert.equal(res.status, 201);
      assert.equal((await whoami(key.key)).status, 200);
      const alert: Observation = {
        subject: key.id,
        tenantId: tenant,
        value: 1,
        samples: null,
        detail: `soft daily budget of key ${key.id} reached`,
      };

      await engine('suspend_key', [alert]).evaluate();
      const held = await whoami(key.key);
      assert.equal(held.status, 403);
      assert.equal(held.body.code ?? held.body.error?.code, 'api_key_suspended');
      const view = (await (await call('GET', `/admin/v1/tenants/${tenant}/api-keys/${key.id}`)).json()) as {
        status: string;
        suspended_by: string;
      };
      assert.deepEqual([view.status, view.suspended_by], ['suspended', 'ops:suspend_key-rule']);

      await engine('resume_key', [alert]).evaluate();
      assert.equal((await whoami(key.key)).status, 200, 'the same key works again');

      const events = (await gw.runtime(ops).events.list({ limit: 10 })).data;
      assert.deepEqual(events.map((e) => [e.action, e.target, e.outcome]).sort(), [
        ['resume_key', key.id, 'acted'],
        ['suspend_key', key.id, 'acted'],
      ]);
      const audit = (await (await call('GET', `/admin/v1/tenants/${tenant}/audit?target_id=${key.id}`)).json()) as {
        data: { action: string }[];
      };
      assert.deepEqual(audit.data.map((e) => e.action).sort(), ['api_key.create', 'api_key.resume', 'api_key.suspend']);

      // A key the tenant does not have, and an alert that names no tenant: failed decisions, nothing held.
      await engine('suspend_key', [{ ...alert, subject: 'A'.repeat(12) }]).evaluate();
      await engine('resume_key', [{ ...alert, tenantId: undefined }]).evaluate();
      const failed = (await gw.runtime(ops).events.list({ limit: 10 })).data.filter((e) => e.outcome === 'failed');
      assert.equal(failed.length, 2, JSON.stringify(failed));
      assert.ok(failed.some((e) => /does not exist in tenant/.test(e.error ?? '')));
      assert.ok(failed.some((e) => /names no key's tenant; resume_key needs a key budget alert/.test(e.error ?? '')));
      assert.equal((await whoami(key.key)).status, 200);
    });

    it('a resume_key rule never lifts an admin’s hold: the decision fails with the reason, the key stays held', async () => {
      const res = await gw.fetch(`/admin/v1/tenants/${tenant}/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'held-by-admin', scopes: ['admin:read'], role: 'viewer' }),
      });
      const key = (await res.json()) as { id: string; key: string };
      assert.equal(res.status, 201);
      const path = `/admin/v1/tenants/${tenant}/api-keys/${key.id}`;
      const suspend = await gw.fetch(`${path}/suspend`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'leaked in a public repository' }),
      });
      assert.equal(suspend.status, 200, await suspend.clone().text());
      const heldBy = ((await (await call('GET', path)).json()) as { suspended_by: string }).suspended_by;
      assert.ok(heldBy && !heldBy.startsWith('ops:'), heldBy);

      const alert: Observation = { subject: key.id, tenantId: tenant, value: 1, samples: null, detail: 'budget' };
      await engine('resume_key', [alert]).evaluate();
      const held = await whoami(key.key);
      assert.equal(held.status, 403, 'the admin’s hold stays');
      assert.equal(held.body.code ?? held.body.error?.code, 'api_key_suspended');
      const [decision] = (await gw.runtime(ops).events.list({ limit: 10 })).data.filter((e) => e.target === key.id);
      assert.equal(decision.outcome, 'failed');
      assert.match(decision.error ?? '', new RegExp(`suspended by ${heldBy}, not by automation`));
      const audit = (await (await call('GET', `/admin/v1/tenants/${tenant}/audit?target_id=${key.id}`)).json()) as {
        data: { action: string }[];
      };
      assert.deepEqual(audit.data.map((e) => e.action).sort(), ['api_key.create', 'api_key.suspend'], 'no resume');

      // The admin lifts it; a later rule's suspension is automation's, and its resume_key lifts that.
      assert.equal((await call('POST', `${path}/resume`)).status, 200);
      await engine('suspend_key', [alert]).evaluate();
      assert.equal((await whoami(key.key)).status, 403);
      await engine('resume_key', [alert]).evaluate();
      assert.equal((await whoami(key.key)).status, 200);
    });
  });
}
