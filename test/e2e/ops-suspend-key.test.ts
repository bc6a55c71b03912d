/**
 * suspend_key end to end, on the embedded default (SQLite) and on PostgreSQL + Redis: a key's daily
 * soft budget is crossed (usage plugin) → the budget alert is a signal of the ops plugin → the rule
 * suspends the key through the auth plugin's KeyControl → the key is refused (403
 * `api_key_suspended`, the rule's reason in the message), the suspension is in the tenant's audit
 * log with the rule's reason — and, unlike a revocation, an admin resumes it and the same key works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBackend, startTestGateway, waitFor, type Backend, type TestGateway } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import ops from '@aihub/plugin-ops';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`ops suspends a key whose budget alert fires (tenancy + auth + ai + usage + ops, ${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    const admin = generateApiKey().key;
    let tenant: string;

    const adminCall = (method: string, path: string, body?: unknown) =>
      gw.fetch(path, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const chat = (key: string) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });

    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [tenancy, auth, ai, usage, ops],
        pluginConfig: {
          auth: {
            keySecret: 'ops-suspend-key-secret-0123456789abcdefghijklmn',
            bootstrap: { adminKey: admin, print: false },
          },
          ai: {
            providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 5 } } },
            models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
            pricing: { 'gpt-4o-mini': { input: 1000, output: 1000 } },
          },
          ops: {
            evaluateIntervalMs: 200,
            rules: [
              {
                name: 'suspend-overspending-key',
                when: { signal: 'budget_alert', above: 0 },
                action: { type: 'suspend_key' },
                cooldownSeconds: 3600,
              },
            ],
          },
        },
        config: backend.config,
      });
      const tenants = (await (await adminCall('GET', '/admin/v1/tenants')).json()) as {
        data: { id: string; slug: string }[];
      };
      tenant = tenants.data.find((t) => t.slug === 'default')!.id;
    });

    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    test('the key crosses its soft budget, the rule suspends it (refused, audited), and an admin resumes it', async () => {
      const created = (await (
        await adminCall('POST', `/admin/v1/tenants/${tenant}/api-keys`, { name: 'spender', scopes: ['ai:invoke'] })
      ).json()) as { id: string; key: string };
      const budget = await adminCall('PUT', `/admin/v1/tenants/${tenant}/api-keys/${created.id}/budgets`, {
        daily_soft_micros: 1,
      });
      assert.equal(budget.status, 200, await budget.clone().text());
      const first = await chat(created.key);
      assert.equal(first.status, 200, await first.clone().text());
      await waitFor('the key refused', async () => (await chat(created.key)).status === 403, 20_000, 100);
      const refused = (await (await chat(created.key)).json()) as { error: { code: string; message: string } };
      assert.equal(refused.error.code, 'api_key_suspended');
      assert.match(refused.error.message, /suspended: ops rule suspend-overspending-key: budget_alert/);
      // The key is refused as soon as it is evicted; the suspension's audit entry and the rule's event
      // are written after that, so under load they can land a moment later than the first 403.
      type Events = { data: { target: string; outcome: string; reason: string }[] };
      let events: Events = { data: [] };
      await waitFor(
        'the rule event',
        async () => {
          events = (await (await adminCall('GET', '/admin/v1/ops/events?action=suspend_key')).json()) as Events;
          return events.data.length > 0;
        },
        20_000,
        100,
      );
      assert.deepEqual(
        events.data.map((e) => [e.target, e.outcome]),
        [[created.id, 'acted']],
      );
      assert.match(events.data[0].reason, /^budget_alert of .+ is 1 \(above 0\): soft daily budget of key /);

      // Suspended, not revoked: the key shows why and by which rule.
      const view = (await (await adminCall('GET', `/admin/v1/tenants/${tenant}/api-keys/${created.id}`)).json()) as {
        status: string;
        revoked_at: string | null;
        suspended_reason: string;
        suspended_by: string;
      };
      assert.equal(view.status, 'suspended');
      assert.equal(view.revoked_at, null);
      assert.equal(view.suspended_by, 'ops:suspend-overspending-key');
      assert.match(view.suspended_reason, /^ops rule suspend-overspending-key: /);
      type Audit = {
        data: { action: string; target_id: string; after: { status: string; suspended_reason?: string } }[];
      };
      let audit: Audit = { data: [] };
      await waitFor(
        'the suspension audited',
        async () => {
          audit = (await (
            await adminCall('GET', `/admin/v1/tenants/${tenant}/audit?action=api_key.suspend`)
          ).json()) as Audit;
          return audit.data.some((e) => e.target_id === created.id);
        },
        20_000,
        100,
      );
      const entry = audit.data.find((e) => e.action === 'api_key.suspend' && e.target_id === created.id);
      assert.ok(entry, JSON.stringify(audit.data).slice(0, 500));
      assert.equal(entry.after.status, 'suspended');
      assert.match(entry.after.suspended_reason ?? '', /ops rule suspend-overspending-key/);
      const revocations = (await (
        await adminCall('GET', `/admin/v1/tenants/${tenant}/audit?action=api_key.revoke`)
      ).json()) as Audit;
      assert.deepEqual(
        revocations.data.filter((e) => e.target_id === created.id),
        [],
        'the rule no longer revokes',
      );

      // An admin lifts it: the same key works again (the rule's cooldown keeps it from acting again).
      const resumed = await adminCall('POST', `/admin/v1/tenants/${tenant}/api-keys/${created.id}/resume`);
      assert.equal(resumed.status, 200, await resumed.clone().text());
      const again = await chat(created.key);
      assert.equal(again.status, 200, await again.clone().text());
      const resumes = (await (
        await adminCall('GET', `/admin/v1/tenants/${tenant}/audit?action=api_key.resume`)
      ).json()) as Audit;
      assert.ok(resumes.data.some((e) => e.target_id === created.id && e.after.status === 'active'));
    });
  });
}
