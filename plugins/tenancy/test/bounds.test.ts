/**
 * Issue 13, findings 1, 5, 14b and 7a, replayed as a tenant admin against the whole plugin chain
 * (tenancy, auth, ai, rate-limit, usage) with real API keys, on the embedded default and on
 * PostgreSQL + Redis: every path that sets a limit or a budget applies the same plan bounds, an
 * empty budget override inherits instead of lifting a budget, subjects must exist in the tenant,
 * and malformed usage queries are 400s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import {
  createBackend,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import authPlugin, { generateApiKey } from '@aihub/plugin-auth';
import rateLimitPlugin from '@aihub/plugin-rate-limit';
import usagePlugin from '@aihub/plugin-usage';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import tenancyPlugin from '../src/index';

const UPSTREAM_KEY = 'sk-mock-upstream-0123456789abcdef';
/** The plan every tenant here is on: tenancy bounds RPM and the daily hard budget, rate-limit bounds TPM. */
const RPM_BOUND = 60;
const DAILY_BOUND = 5_000_000;
const TPM_BOUND = 100_000;

type Body = Record<string, unknown> & {
  code?: string;
  exceeded?: unknown;
  detail?: string;
  effective?: Record<string, number | null>;
  source?: string;
};

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`plan bounds on every path (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const superKey = generateApiKey().key;
    const ids: Record<string, string> = {};
    const keys: Record<string, string> = {};
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const res = await gw.fetch(path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        headers: res.headers,
        body: (text ? JSON.parse(text) : null) as Body,
      };
    };
    const chat = (key: string) =>
      call('POST', '/v1/chat/completions', key, {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'bounds' }],
      });
    const tenantPath = (name: string, rest = '') => `/admin/v1/tenants/${ids[name]}${rest}`;

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, completionTokens: 10, record: 0 });
      gw = await startTestGateway({
        plugins: [tenancyPlugin, authPlugin, aiPlugin, rateLimitPlugin, usagePlugin] as PluginDefinition[],
        pluginConfig: {
          tenancy: {
            password: { scryptN: 1024 },
            defaultPlan: 'free',
            plans: { free: { limits: { requestsPerMinute: RPM_BOUND }, budgets: { dailyHardMicros: DAILY_BOUND } } },
          },
          auth: {
            keySecret: 'bounds-test-key-secret-0123456789abcdefghijklmnop',
            bootstrap: { adminKey: superKey, print: false },
          },
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: UPSTREAM_KEY } },
            models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
          },
          'rate-limit': { windowSeconds: 3600, plans: { free: { tokensPerMinute: TPM_BOUND } } },
          usage: { consumer: { blockMs: 50, lingerMs: 20 }, budgets: { counterCheckMs: 100 } },
        },
        config: backend.config,
      });
      for (const name of ['acme', 'other']) {
        const t = await call('POST', '/admin/v1/tenants', superKey, { name, slug: `${name}-bounds` });
        assert.equal(t.status, 201, JSON.stringify(t.body));
        ids[name] = String(t.body.id);
        const team = await call('POST', tenantPath(name, '/teams'), superKey, { name: 'red' });
        assert.equal(team.status, 201, JSON.stringify(team.body));
        ids[`${name}Team`] = String(team.body.id);
      }
      const mk = async (name: string, tenant: string, body: Record<string, unknown>) => {
        const r = await call('POST', tenantPath(tenant, '/api-keys'), superKey, { name, ...body });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        keys[name] = String(r.body.key);
        ids[name] = String(r.body.id);
      };
      await mk('app', 'acme', { scopes: ['ai:invoke'] });
      await mk('admin', 'acme', { scopes: ['admin:read', 'admin:write'], role: 'admin' });
      await mk('otherApp', 'other', { scopes: ['ai:invoke'] });
      await mk('otherAdmin', 'other', { scopes: ['admin:read', 'admin:write'], role: 'admin' });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('finding 1: an empty budget PUT after a superadmin hard budget keeps it enforced', async () => {
      const set = await call('PATCH', tenantPath('acme', '/settings'), superKey, { budgets: { dailyHardMicros: 1 } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const empty = await call('PUT', tenantPath('acme', '/budgets'), keys.admin, {});
      assert.equal(empty.status, 200, JSON.stringify(empty.body));
      assert.equal(empty.body.effective!.daily_hard_micros, 1, 'an empty override inherits the settings budget');
      // Spend past the budget: once the spend is counted, chat calls are refused before the upstream.
      assert.equal((await chat(keys.app)).status, 200);
      await waitFor('the tenant budget refuses', async () => {
        const r = await chat(keys.app);
        if (r.status === 200) return false;
        assert.equal(r.status, 429);
        assert.equal((r.body.error as { code: string }).code, 'budget_exceeded');
        return true;
      });
      // Emptying it again, or with explicit nulls, changes nothing.
      assert.equal(
        (await call('PUT', tenantPath('acme', '/budgets'), keys.admin, { daily_hard_micros: null })).status,
        200,
      );
      assert.equal((await chat(keys.app)).status, 429, 'still enforced after {} and null');
      assert.equal((await chat(keys.otherApp)).status, 200, 'another tenant is unaffected');
    });

    it('finding 1: nothing set and an empty override inherit the plan bound, never unlimited', async () => {
      const res = await call('PUT', tenantPath('other', '/budgets'), keys.otherAdmin, {});
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.source, 'plan');
      assert.equal(res.body.effective!.daily_hard_micros, DAILY_BOUND);
    });

    it('finding 1: budgets above the plan are refused on every path, for tenant admins only', async () => {
      const over = { daily_hard_micros: 999_999_999 };
      for (const path of ['/budgets', `/teams/${ids.acmeTeam}/budgets`, `/api-keys/${ids.app}/budgets`]) {
        const r = await call('PUT', tenantPath('acme', path), keys.admin, over);
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
        assert.match(r.type, /application\/problem\+json/);
        assert.equal(r.body.code, 'exceeds_plan');
        assert.deepEqual(r.body.exceeded, [{ field: 'daily_hard_micros', value: 999_999_999, bound: DAILY_BOUND }]);
        assert.match(r.body.detail!, /daily_hard_micros is 999999999, above the bound of 5000000 in plan "free"/);
      }
      const patch = await call('PATCH', tenantPath('acme', '/settings'), keys.admin, {
        budgets: { dailyHardMicros: 999_999_999 },
      });
      assert.equal(patch.status, 400);
      assert.equal(patch.body.code, 'exceeds_plan');
      assert.deepEqual(patch.body.exceeded, [
        { field: 'settings.budgets.dailyHardMicros', value: 999_999_999, bound: DAILY_BOUND },
      ]);
      assert.equal(
        (
          await call('PUT', tenantPath('acme', `/teams/${ids.acmeTeam}/budgets`), keys.admin, {
            daily_hard_micros: DAILY_BOUND,
          })
        ).status,
        200,
        'at the bound is fine',
      );
      assert.equal(
        (await call('PUT', tenantPath('acme', `/teams/${ids.acmeTeam}/budgets`), superKey, over)).status,
        200,
        'a superadmin may exceed the plan',
      );
    });

    it('a superadmin’s per-tenant bounds hold on every path: a tenant admin can neither lift nor remove them', async () => {
      const t = await call('POST', '/admin/v1/tenants', superKey, { name: 'capped', slug: 'capped-bounds' });
      ids.capped = String(t.body.id);
      const app = String(
        (await call('POST', tenantPath('capped', '/api-keys'), superKey, { name: 'app', scopes: ['ai:invoke'] })).body
          .key,
      );
      const admin = String(
        (
          await call('POST', tenantPath('capped', '/api-keys'), superKey, {
            name: 'admin',
            scopes: ['admin:read', 'admin:write'],
            role: 'admin',
          })
        ).body.key,
      );
      const set = await call('PATCH', tenantPath('capped', '/settings'), superKey, {
        bounds: { budgets: { dailyHardMicros: 1 }, limits: { requestsPerMinute: 7 } },
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const lift = await call('PATCH', tenantPath('capped', '/settings'), admin, { bounds: null });
      assert.equal(lift.status, 403, 'bounds are the operator’s, like the plan');
      const over = await call('PUT', tenantPath('capped', '/budgets'), admin, { daily_hard_micros: 5 });
      assert.equal(over.status, 400);
      assert.deepEqual(over.body.exceeded, [{ field: 'daily_hard_micros', value: 5, bound: 1 }]);
      assert.equal(
        (await call('PATCH', tenantPath('capped', '/settings'), admin, { limits: { requestsPerMinute: 8 } })).status,
        400,
      );
      // Every way of leaving the budget out inherits the bound.
      assert.equal((await call('PUT', tenantPath('capped', '/budgets'), admin, {})).status, 200);
      assert.equal((await call('DELETE', tenantPath('capped', '/budgets'), admin)).status, 200);
      assert.equal(
        (await call('PATCH', tenantPath('capped', '/settings'), admin, { budgets: null, limits: null })).status,
        200,
      );
      const report = await call('GET', tenantPath('capped', '/budgets'), admin);
      assert.deepEqual([report.body.source, report.body.effective!.daily_hard_micros], ['plan', 1]);
      const first = await chat(app);
      assert.equal(first.status, 200);
      assert.equal(
        first.headers.get('x-ratelimit-limit-requests'),
        '7',
        'the tenant’s bound is its limit where none is set',
      );
      await waitFor('the bound refuses', async () => (await chat(app)).status === 429);
    });

    it('finding 5: rate limits above the plan are refused on every path, including bounds from the rate-limit plugin', async () => {
      const paths = ['/limits', `/teams/${ids.acmeTeam}/limits`, `/keys/${ids.app}/limits`];
      for (const path of paths) {
        const r = await call('PUT', tenantPath('acme', path), keys.admin, { requestsPerMinute: 100_000 });
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, 'exceeds_plan');
        assert.deepEqual(r.body.exceeded, [{ field: 'requestsPerMinute', value: 100_000, bound: RPM_BOUND }]);
        assert.match(r.body.detail!, /requestsPerMinute is 100000, above the bound of 60/);
        const tpm = await call('PUT', tenantPath('acme', path), keys.admin, { tokensPerMinute: TPM_BOUND + 1 });
        assert.equal(tpm.status, 400, 'the rate-limit plugin’s own plan bound applies too');
      }
      for (const limits of [{ requestsPerMinute: 999_999_999 }, { tokensPerMinute: TPM_BOUND + 1 }]) {
        const patch = await call('PATCH', tenantPath('acme', '/settings'), keys.admin, { limits });
        assert.equal(patch.status, 400, JSON.stringify(patch.body));
        assert.equal(patch.body.code, 'exceeds_plan', 'settings PATCH agrees with the limit routes');
      }
      // A key's own limits and budgets, at creation and on change, go through the same check.
      const newKey = await call('POST', tenantPath('acme', '/api-keys'), keys.admin, {
        name: 'greedy',
        scopes: ['admin:read'],
        role: 'viewer',
        limits: { requestsPerMinute: 100_000 },
      });
      assert.equal(newKey.status, 400, JSON.stringify(newKey.body));
      assert.equal(newKey.body.code, 'exceeds_plan');
      const patchKey = await call('PATCH', tenantPath('acme', `/api-keys/${ids.app}`), keys.admin, {
        budgets: { dailyHardMicros: 999_999_999 },
      });
      assert.equal(patchKey.status, 400, JSON.stringify(patchKey.body));
      assert.equal(patchKey.body.code, 'exceeds_plan');
      const overview = await call('GET', tenantPath('acme', '/limits'), keys.admin);
      assert.deepEqual(overview.body.planBounds, { requestsPerMinute: RPM_BOUND, tokensPerMinute: TPM_BOUND });
      assert.equal(
        (await call('PUT', tenantPath('other', '/limits'), superKey, { requestsPerMinute: 100_000 })).status,
        200,
        'a superadmin may exceed the plan',
      );
    });

    it('finding 5: with no limit set, or an empty policy, the plan bound applies', async () => {
      const fresh = await call('POST', '/admin/v1/tenants', superKey, { name: 'fresh', slug: 'fresh-bounds' });
      ids.fresh = String(fresh.body.id);
      const key = await call('POST', tenantPath('fresh', '/api-keys'), superKey, {
        name: 'app',
        scopes: ['ai:invoke'],
      });
      const admin = await call('POST', tenantPath('fresh', '/api-keys'), superKey, {
        name: 'admin',
        scopes: ['admin:read', 'admin:write'],
        role: 'admin',
      });
      const first = await chat(String(key.body.key));
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-ratelimit-limit-requests'), String(RPM_BOUND));
      assert.equal((await call('PUT', tenantPath('fresh', '/limits'), String(admin.body.key), {})).status, 200);
      assert.equal(
        (await chat(String(key.body.key))).headers.get('x-ratelimit-limit-requests'),
        String(RPM_BOUND),
        'an empty policy inherits the plan',
      );
    });

    it('finding 14b: limits and budgets for subjects that are not the tenant’s are 404 with a stable code', async () => {
      const cases: [string, string][] = [
        [`/teams/team_doesnotexist/limits`, 'team_not_found'],
        [`/teams/${ids.otherTeam}/limits`, 'team_not_found'],
        [`/keys/key_doesnotexist/limits`, 'key_not_found'],
        [`/keys/${ids.otherApp}/limits`, 'key_not_found'],
        [`/users/usr_doesnotexist/limits`, 'member_not_found'],
      ];
      for (const [path, code] of cases) {
        const r = await call('PUT', tenantPath('acme', path), keys.admin, { requestsPerMinute: 5 });
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code, path);
      }
      const budgetCases: [string, string][] = [
        [`/teams/team_doesnotexist/budgets`, 'team_not_found'],
        [`/teams/${ids.otherTeam}/budgets`, 'team_not_found'],
        [`/api-keys/key_doesnotexist/budgets`, 'key_not_found'],
        [`/api-keys/${ids.otherApp}/budgets`, 'key_not_found'],
      ];
      for (const [path, code] of budgetCases) {
        const r = await call('PUT', tenantPath('acme', path), keys.admin, { daily_hard_micros: 5 });
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code, path);
      }
      const ghost = await call('GET', '/admin/v1/tenants/ten_doesnotexist/budgets', superKey);
      assert.equal(ghost.status, 404, 'no budget report for a tenant that does not exist');
      assert.equal(ghost.body.code, 'tenant_not_found');
      for (const path of [`/teams/${ids.otherTeam}/budgets`, `/api-keys/${ids.otherApp}/budgets`]) {
        assert.equal((await call('GET', tenantPath('acme', path), keys.admin)).status, 404, `GET ${path}`);
        assert.equal((await call('DELETE', tenantPath('acme', path), keys.admin)).status, 404, `DELETE ${path}`);
      }
      assert.equal((await call('GET', tenantPath('acme', `/teams/${ids.acmeTeam}/budgets`), keys.admin)).status, 200);
      assert.equal(
        (await call('PUT', tenantPath('acme', `/keys/${ids.app}/limits`), keys.admin, { requestsPerMinute: 5 })).status,
        200,
        'the tenant’s own key',
      );
      assert.equal(
        (await call('PUT', tenantPath('acme', `/api-keys/${ids.app}/budgets`), keys.admin, { daily_hard_micros: 5 }))
          .status,
        200,
      );
    });

    it('finding 7a: malformed usage queries are 400 problem+json, never 5xx', async () => {
      const queries = [
        'group_by=',
        'group_by=,',
        'group_by=nope',
        'group_by=day,day',
        'group_by=day&group_by=model',
        'model=',
        'key_id=',
        'from=&to=',
        'from=2025-01-01&from=2025-01-02',
        'unknown=1',
      ];
      for (const q of queries) {
        const r = await call('GET', tenantPath('acme', `/usage?${q}`), keys.admin);
        assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
        assert.match(r.type, /application\/problem\+json/, q);
        assert.equal(r.body.code, 'validation_failed', q);
      }
      for (const q of ['granularity=', 'status=', 'granularity=day&granularity=request', 'nope=1']) {
        const r = await call('GET', tenantPath('acme', `/usage/export.csv?${q}`), keys.admin);
        assert.equal(r.status, 400, `export ${q}`);
      }
      const ok = await call('GET', tenantPath('acme', '/usage?group_by=model,day'), keys.admin);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });
  });
}
