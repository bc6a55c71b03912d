/**
 * The whole production plugin chain — tenancy, auth, ai, usage, behavior — with real API keys:
 * usage is attributed to the key, team and tenant auth resolved; budgets come from key settings
 * (auth), tenant settings (tenancy, via the tenant directory) and the usage API; authorization,
 * cross-tenant 404s and audit entries go through the tenancy plugin; behavior ingestion needs the
 * events:write scope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import authPlugin, { generateApiKey } from '@aihub/plugin-auth';
import behaviorPlugin from '@aihub/plugin-behavior';
import tenancyPlugin from '@aihub/plugin-tenancy';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { metricValue } from '@aihub/core/testing';

const UPSTREAM_KEY = 'sk-mock-upstream-0123456789abcdef';

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`full plugin chain (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const superKey = generateApiKey().key;
    const ids: Record<string, string> = {};
    const keys: Record<string, string> = {};
    const auth = (key: string, extra: Record<string, string> = {}) => ({
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...extra,
    });
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const res = await gw.fetch(path, {
        method,
        headers: auth(key),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { data?: Record<string, unknown>[] },
      };
    };
    const chat = (key: string) =>
      call('POST', '/v1/chat/completions', key, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'full stack' }],
      });

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, completionTokens: 10, record: 0 });
      gw = await startTestGateway({
        plugins: [tenancyPlugin, authPlugin, aiPlugin, usagePlugin, behaviorPlugin] as PluginDefinition[],
        pluginConfig: {
          auth: {
            keySecret: 'stack-test-key-secret-0123456789abcdefghijklmnop',
            bootstrap: { adminKey: superKey, print: false },
          },
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: UPSTREAM_KEY } },
            models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
          },
          usage: { consumer: { blockMs: 50, lingerMs: 20 } },
          behavior: { consumer: { blockMs: 50, lingerMs: 20 } },
        },
        config: backend.config,
      });
      const acme = await call('POST', '/admin/v1/tenants', superKey, {
        name: 'Acme',
        slug: 'acme',
        settings: { budgets: { monthlySoftMicros: 1 } },
      });
      assert.equal(acme.status, 201, JSON.stringify(acme.body));
      ids.acme = String(acme.body.id);
      const other = await call('POST', '/admin/v1/tenants', superKey, { name: 'Other', slug: 'other' });
      ids.other = String(other.body.id);
      const team = await call('POST', `/admin/v1/tenants/${ids.acme}/teams`, superKey, { name: 'red' });
      assert.equal(team.status, 201, JSON.stringify(team.body));
      ids.team = String(team.body.id);
      const mk = async (name: string, tenant: string, body: Record<string, unknown>) => {
        const r = await call('POST', `/admin/v1/tenants/${tenant}/api-keys`, superKey, { name, ...body });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        keys[name] = String(r.body.key);
        ids[name] = String(r.body.id);
      };
      await mk('app', ids.acme, { scopes: ['ai:invoke', 'events:write'], team_id: ids.team });
      await mk('small', ids.acme, { scopes: ['ai:invoke'], budgets: { dailyHardMicros: 1 } });
      await mk('admin', ids.acme, { scopes: ['admin:read', 'admin:write'], role: 'admin' });
      await mk('viewer', ids.acme, { scopes: ['admin:read'], role: 'viewer' });
      await mk('otherAdmin', ids.other, { scopes: ['admin:read', 'admin:write'], role: 'admin' });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('attributes usage to the key, team and tenant auth resolved, and serves it to the tenant only', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await chat(keys.app)).status, 200);
      const usageOf = (key: string, tenant = ids.acme) =>
        call('GET', `/admin/v1/tenants/${tenant}/usage?group_by=key,team`, key);
      await waitFor(
        'usage rows',
        async () => ((await usageOf(keys.admin)).body.totals as { requests: number }).requests === 3,
      );
      const u = await usageOf(keys.viewer);
      assert.equal(u.status, 200);
      assert.deepEqual(
        u.body.data!.map((d) => [d.key_id, d.team_id, d.requests]),
        [[ids.app, ids.team, 3]],
      );
      assert.equal((u.body.totals as { completion_tokens: number }).completion_tokens, mock.stats.completionTokens);
      assert.equal(
        (await usageOf(keys.otherAdmin)).status,
        404,
        'another tenant’s usage does not exist for this caller',
      );
      assert.equal((await usageOf(keys.app)).status, 403, 'an application key has no admin scope');
      assert.equal((await usageOf(superKey)).status, 200, 'the platform superadmin reads any tenant');
    });

    it('enforces a key budget set in auth and alerts on a soft tenant budget from tenancy settings', async () => {
      assert.equal((await chat(keys.small)).status, 200);
      await waitFor('key spend counted', async () => {
        const r = await chat(keys.small);
        if (r.status === 200) return false;
        assert.equal(r.status, 429);
        const err = r.body.error as { code: string; budget: { level: string; id: string } };
        assert.equal(err.code, 'budget_exceeded');
        assert.equal(err.budget.level, 'key');
        assert.equal(err.budget.id, ids.small);
        return true;
      });
      assert.equal((await chat(keys.app)).status, 200, 'other keys of the tenant go on');
      await waitFor(
        'soft tenant alert',
        async () =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_budget_alerts_total', {
            level: 'tenant',
            period: 'monthly',
            kind: 'soft',
          }) === 1,
      );
    });

    it('authorizes and audits budget changes through the tenancy plugin', async () => {
      const path = `/admin/v1/tenants/${ids.acme}/teams/${ids.team}/budgets`;
      assert.equal((await call('PUT', path, keys.viewer, { daily_hard_micros: 5 })).status, 403);
      assert.equal((await call('PUT', path, keys.otherAdmin, { daily_hard_micros: 5 })).status, 404);
      const put = await call('PUT', path, keys.admin, { daily_hard_micros: 5_000_000 });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const audit = await call('GET', `/admin/v1/tenants/${ids.acme}/audit`, keys.admin);
      assert.equal(audit.status, 200);
      const entry = audit.body.data!.find((e) => e.action === 'budget.update');
      assert.ok(entry, JSON.stringify(audit.body.data!.map((e) => e.action)));
      assert.equal(entry.target_type, 'team_budget');
      assert.equal(entry.target_id, ids.team);
      assert.equal(entry.actor_id !== null, true);
    });

    it('takes behavior events from keys with events:write only, and serves and deletes them per tenant', async () => {
      const track = (key: string) =>
        call('POST', '/v1/track', key, { userId: 'person', event: 'Stack Test', messageId: `st-${key.slice(-6)}` });
      assert.equal((await track(keys.app)).status, 200);
      assert.equal((await track(keys.small)).status, 403, 'no events:write scope');
      assert.equal((await track(keys.admin)).status, 403);
      await waitFor(
        'event stored',
        async () =>
          (await call('GET', `/admin/v1/tenants/${ids.acme}/analytics/users/person`, keys.admin)).status === 200,
      );
      // Viewers read analytics (end-user ids are stored hashed) but may not erase a user's events.
      assert.equal(
        (await call('GET', `/admin/v1/tenants/${ids.acme}/analytics/users/person`, keys.viewer)).status,
        200,
        'viewers read events',
      );
      assert.equal(
        (await call('DELETE', `/admin/v1/tenants/${ids.acme}/analytics/users/person`, keys.viewer)).status,
        403,
        'viewers do not delete events',
      );
      assert.equal(
        (await call('GET', `/admin/v1/tenants/${ids.acme}/analytics/users/person`, keys.otherAdmin)).status,
        404,
      );
      const del = await call('DELETE', `/admin/v1/tenants/${ids.acme}/analytics/users/person`, keys.admin);
      assert.equal(del.status, 200);
      assert.equal(del.body.deleted_events, 1);
      const audit = await call('GET', `/admin/v1/tenants/${ids.acme}/audit`, keys.admin);
      assert.ok(audit.body.data!.some((e) => e.action === 'analytics.user.delete' && e.target_id === 'person'));
    });

    it('names each key beside its id in usage by key, the summary top keys and the request list and detail', async () => {
      const base = `/admin/v1/tenants/${ids.acme}`;
      const byKey = await call('GET', `${base}/usage?group_by=key`, keys.viewer);
      assert.equal(byKey.status, 200);
      const named = (pairs: unknown[][]) => pairs.sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      assert.deepEqual(named(byKey.body.data!.map((d) => [d.key_id, d.key_name])), [
        [ids.app, 'app'],
        [ids.small, 'small'],
      ]);
      const summary = await call('GET', `${base}/usage/summary`, keys.viewer);
      const top = (summary.body.top as { keys: { id: string; name: string | null }[] }).keys;
      assert.deepEqual(named(top.map((k) => [k.id, k.name])), [
        [ids.app, 'app'],
        [ids.small, 'small'],
      ]);
      const list = await call('GET', `${base}/requests?key_id=${ids.app}`, keys.viewer);
      assert.ok(list.body.data!.length > 0);
      assert.ok(list.body.data!.every((r) => r.key_id === ids.app && r.key_name === 'app'));
      const detail = await call('GET', `${base}/requests/${String(list.body.data![0].request_id)}`, keys.viewer);
      assert.equal(detail.body.key_name, 'app');
      // A revoked key's usage keeps its name: the key still exists (revoked), and the id is shown beside it.
      assert.equal((await call('DELETE', `${base}/api-keys/${ids.app}`, keys.admin)).status, 200);
      const after = await call('GET', `${base}/usage?group_by=key`, keys.viewer);
      assert.equal(after.body.data!.find((d) => d.key_id === ids.app)?.key_name, 'app');
    });
  });
}
