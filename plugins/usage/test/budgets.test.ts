/**
 * Budgets: hard limits refuse requests before the upstream call (the mock upstream's counter does
 * not move), soft limits alert once (log, metric, signed webhook with retries), spend survives a
 * restart and a flushed store, and the budget admin API is authorized and audited.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { createBackend, waitFor, type Backend, type BackendKind } from '@aihub/core/testing';
import { fakeAiPlugin } from './helpers/fakeAi';
import { asCaller, identityPlugin, testTenancy } from '@aihub/core/testing';
import { metricValue, probePlugin } from '@aihub/core/testing';

const SECRET = 'whsec_test_0123456789abcdef';
const today = () => new Date().toISOString().slice(0, 10);

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startReceiver(failFirst: number) {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      if (failures > 0) {
        failures--;
        res.writeHead(503).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/budget`,
    deliveries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`budgets (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    const tenancy = testTenancy();
    let probe = probePlugin();
    const owner = (tenant: string) => asCaller({ tenant, role: 'owner', user: 'owner-1' });

    // The tenants the tests use, in the stand-in tenant directory (budget changes look their plan up).
    for (const id of ['tb', 'tt', 'tk', 'tp'])
      tenancy.tenants.set(id, { id, slug: id, name: id, status: 'active', plan: 'test', settings: {} });
    const start = async () => {
      probe = probePlugin();
      gw = await startTestGateway({
        plugins: [identityPlugin(), tenancy.plugin, fakeAiPlugin({ upstreamUrl: mock.url }), usagePlugin, probe.plugin],
        pluginConfig: {
          usage: {
            consumer: { blockMs: 50, claimIdleMs: 1000 },
            budgets: {
              counterCheckMs: 100,
              reconcileIntervalMs: 60_000,
              webhook: { url: receiver.url, secret: SECRET, initialBackoffMs: 50, maxAttempts: 4 },
            },
          },
        },
        config: backend.config,
      });
    };
    const chat = (caller: Record<string, string>) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...caller },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello budget' }] }),
      });
    const put = (path: string, body: unknown, caller: Record<string, string>) =>
      gw.fetch(path, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...caller },
        body: JSON.stringify(body),
      });
    const counter = (level: string, tenant: string, target: string) =>
      probe.ctx().sharedStore.get(`usage:spend:${level}:${tenant}:${target}:d:${today()}`);
    /** Sends requests until one is refused; returns the refusal. */
    const spendUntilRefused = async (
      caller: Record<string, string>,
      level: string,
      tenant: string,
      target: string,
      limit: number,
    ) => {
      for (let i = 0; i < 50; i++) {
        const res = await chat(caller);
        if (res.status !== 200) return res;
        await res.arrayBuffer();
        // Wait for this request's cost to reach the counter, as the next request would see it.
        const want = i + 1;
        await waitFor(
          'counter moved',
          async () => Number((await counter(level, tenant, target)) ?? 0) > 0 && (await countRows(tenant)) >= want,
        );
        if (Number(await counter(level, tenant, target)) >= limit) {
          const refused = await chat(caller);
          return refused;
        }
      }
      throw new Error('never refused');
    };
    const countRows = async (tenant: string) => {
      const r = (await probe
        .ctx()
        .database.sequelize.query(`SELECT COUNT(*) AS n FROM usage_records WHERE tenant_id = '${tenant}'`, {
          type: 'SELECT',
        })) as { n: unknown }[];
      return Number(r[0].n);
    };

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ completionTokens: 10, record: 0 });
      receiver = await startReceiver(1);
      await start();
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await receiver?.close();
      await backend?.cleanup();
    });

    it('refuses requests once the tenant hard budget is spent, before any upstream call', async () => {
      const res = await put(
        '/admin/v1/tenants/tb/budgets',
        { daily_hard_micros: 400, daily_soft_micros: 200 },
        owner('tb'),
      );
      assert.equal(res.status, 200, await res.clone().text());
      const b = (await res.json()) as { source: string; effective: Record<string, number> };
      assert.equal(b.source, 'override');
      assert.equal(b.effective.daily_hard_micros, 400);
      assert.equal(tenancy.audit.at(-1)?.action, 'budget.update');
      assert.equal(tenancy.audit.at(-1)?.targetType, 'tenant_budget');
      assert.deepEqual(tenancy.checks.at(-1), { permission: 'budgets:write', tenantId: 'tb' });

      const caller = asCaller({ tenant: 'tb', key: 'kb1' });
      const refused = await spendUntilRefused(caller, 'tenant', 'tb', 'tb', 400);
      const receivedBefore = mock.stats.received;
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get('x-should-retry'), 'false');
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal(refused.headers.get('x-aihub-budget-level'), 'tenant');
      const err = (
        (await refused.json()) as {
          error: {
            code: string;
            type: string;
            message: string;
            budget: { level: string; period: string; limit_micros: number; resets_at: string };
          };
        }
      ).error;
      assert.equal(err.code, 'budget_exceeded');
      assert.equal(err.type, 'insufficient_quota');
      assert.match(err.message, /tenant daily budget of \$0\.0004 is spent/);
      assert.equal(err.budget.level, 'tenant');
      assert.equal(err.budget.period, 'daily');
      assert.equal(err.budget.limit_micros, 400);
      assert.equal(err.budget.resets_at, new Date(Date.parse(`${today()}T00:00:00Z`) + 86_400_000).toISOString());
      // More attempts: still refused, and the upstream never sees them.
      for (let i = 0; i < 3; i++) assert.equal((await chat(caller)).status, 429);
      assert.equal(mock.stats.received, receivedBefore);
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.ok(metricValue(metrics, 'aihub_budget_rejections_total', { level: 'tenant', period: 'daily' }) >= 4);
      // Another tenant is unaffected.
      assert.equal((await chat(asCaller({ tenant: 'tother', key: 'ko' }))).status, 200);
    });

    it('fires the soft and hard alerts once each: log, metric and a signed webhook retried after a failure', async () => {
      await waitFor(
        'webhook deliveries',
        () => receiver.deliveries.filter((d) => d.headers['x-aihub-delivery-attempt'] !== undefined).length >= 3,
      );
      const bodies = receiver.deliveries.map(
        (d) =>
          JSON.parse(d.body) as {
            id: string;
            kind: string;
            level: string;
            tenant_id: string;
            limit_micros: number;
            spent_micros: number;
          },
      );
      const ids = new Set(bodies.map((b) => b.id));
      assert.equal(ids.size, 2, 'two alerts (soft, hard), one retried');
      assert.deepEqual([...new Set(bodies.map((b) => b.kind))].sort(), ['hard', 'soft']);
      for (const d of receiver.deliveries) {
        const sig = String(d.headers['x-aihub-signature']);
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
        assert.ok(m, sig);
        assert.equal(m[2], createHmac('sha256', SECRET).update(`${m[1]}.${d.body}`).digest('hex'));
      }
      assert.ok(
        receiver.deliveries.some((d) => d.headers['x-aihub-delivery-attempt'] === '2'),
        'the failed delivery was retried',
      );
      // More spend attempts do not fire again.
      await chat(asCaller({ tenant: 'tb', key: 'kb1' }));
      await new Promise((r) => setTimeout(r, 200));
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(
        metricValue(metrics, 'aihub_budget_alerts_total', { level: 'tenant', period: 'daily', kind: 'soft' }),
        1,
      );
      assert.equal(
        metricValue(metrics, 'aihub_budget_alerts_total', { level: 'tenant', period: 'daily', kind: 'hard' }),
        1,
      );
      await waitFor('delivered state', async () => {
        const r = (await probe
          .ctx()
          .database.sequelize.query("SELECT webhook_state FROM usage_budget_alerts WHERE tenant_id = 'tb'", {
            type: 'SELECT',
          })) as { webhook_state: string }[];
        return r.length === 2 && r.every((x) => x.webhook_state === 'delivered');
      });
    });

    it('lists the alert history newest first, paged, with delivery state, for the tenant only', async () => {
      type Page = {
        data: {
          id: string;
          kind: string;
          level: string;
          target_id: string;
          limit_micros: number;
          webhook_state: string;
          created_at: string;
        }[];
        next_cursor: string | null;
        webhook: { configured: boolean };
      };
      const viewer = asCaller({ tenant: 'tb', role: 'viewer' });
      const all = await gw.fetch('/admin/v1/tenants/tb/budget-alerts', { headers: viewer });
      assert.equal(all.status, 200, await all.clone().text());
      const body = (await all.json()) as Page;
      assert.equal(body.webhook.configured, true);
      assert.equal(body.data.length, 2);
      assert.deepEqual(body.data.map((a) => a.kind).sort(), ['hard', 'soft']);
      assert.ok(
        body.data.every((a) => a.level === 'tenant' && a.target_id === 'tb' && a.webhook_state === 'delivered'),
      );
      assert.ok(body.data[0].created_at >= body.data[1].created_at, 'newest first');
      assert.equal(body.next_cursor, null);
      // One per page: the cursor reaches the second, and nothing is repeated.
      const p1 = (await (
        await gw.fetch('/admin/v1/tenants/tb/budget-alerts?limit=1', { headers: viewer })
      ).json()) as Page;
      assert.equal(p1.data.length, 1);
      assert.ok(p1.next_cursor);
      const p2 = (await (
        await gw.fetch(`/admin/v1/tenants/tb/budget-alerts?limit=1&cursor=${p1.next_cursor}`, { headers: viewer })
      ).json()) as Page;
      assert.deepEqual([p1.data[0].id, p2.data[0].id].sort(), body.data.map((a) => a.id).sort());
      assert.equal(p2.next_cursor, null);
      // Another tenant's admin sees nothing of tb; bad input is a 400 with the field named.
      assert.equal((await gw.fetch('/admin/v1/tenants/tb/budget-alerts', { headers: owner('tx') })).status, 404);
      assert.equal((await gw.fetch('/admin/v1/tenants/tb/budget-alerts')).status, 401);
      const bad = await gw.fetch('/admin/v1/tenants/tb/budget-alerts?cursor=bm9wZQ', { headers: viewer });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, 'invalid_cursor');
      assert.equal((await gw.fetch('/admin/v1/tenants/tb/budget-alerts?limit=0', { headers: viewer })).status, 400);
      const empty = (await (
        await gw.fetch('/admin/v1/tenants/tt/budget-alerts', { headers: owner('tt') })
      ).json()) as Page;
      assert.ok(empty.data.every((a) => a.target_id !== 'tb'));
    });

    it('enforces key budgets from the principal and team budgets set through the API', async () => {
      const keyCaller = asCaller({ tenant: 'tk', key: 'k-small', keyBudgets: { dailyHardMicros: 150 } });
      const refused = await spendUntilRefused(keyCaller, 'key', 'tk', 'k-small', 150);
      assert.equal(refused.status, 429);
      const err = ((await refused.json()) as { error: { budget: { level: string } } }).error;
      assert.equal(err.budget.level, 'key');
      assert.equal(
        (await chat(asCaller({ tenant: 'tk', key: 'k-big' }))).status,
        200,
        'other keys of the tenant still work',
      );

      const res = await put('/admin/v1/tenants/tt/teams/red/budgets', { daily_hard_micros: 150 }, owner('tt'));
      assert.equal(res.status, 200);
      const teamCaller = asCaller({ tenant: 'tt', key: 'k-red', team: 'red' });
      const teamRefused = await spendUntilRefused(teamCaller, 'team', 'tt', 'red', 150);
      assert.equal(teamRefused.status, 429);
      assert.equal(((await teamRefused.json()) as { error: { budget: { level: string } } }).error.budget.level, 'team');
      assert.equal((await chat(asCaller({ tenant: 'tt', key: 'k-blue', team: 'blue' }))).status, 200);
      // An override with no limits inherits the key's own budget (it never lifts it: issue 13, finding 1);
      // a higher value does, and DELETE brings the key's own budget back.
      const empty = await put('/admin/v1/tenants/tk/api-keys/k-small/budgets', {}, owner('tk'));
      assert.equal(empty.status, 200);
      assert.deepEqual(((await empty.json()) as { effective: Record<string, unknown> }).effective, {
        daily_hard_micros: 150,
        daily_soft_micros: null,
        monthly_hard_micros: null,
        monthly_soft_micros: null,
      });
      assert.equal((await chat(keyCaller)).status, 429, 'an empty override is no way around the key budget');
      assert.equal(
        (await put('/admin/v1/tenants/tk/api-keys/k-small/budgets', { daily_hard_micros: 1_000_000 }, owner('tk')))
          .status,
        200,
      );
      assert.equal((await chat(keyCaller)).status, 200);
      const del = await gw.fetch('/admin/v1/tenants/tk/api-keys/k-small/budgets', {
        method: 'DELETE',
        headers: owner('tk'),
      });
      assert.equal(del.status, 200);
      assert.equal(((await del.json()) as { source: string }).source, 'settings');
      assert.equal((await chat(keyCaller)).status, 429);
      assert.equal(tenancy.audit.at(-1)?.action, 'budget.delete');
    });

    it('remembers spend across a restart and a flushed store', async () => {
      const caller = asCaller({ tenant: 'tb', key: 'kb1' });
      await gw.stop();
      if (kind === 'postgres') {
        // A Redis flush: the counters are gone.
        const { createRedisStore } = await import('@aihub/core/testing');
        const store = createRedisStore({ url: backend.redisUrl!, prefix: backend.keyPrefix });
        assert.ok((await store.deleteByPrefix('usage:spend')) > 0);
        await store.close();
      }
      await start();
      assert.equal((await chat(caller)).status, 429, 'still over budget after restart');
      if (kind === 'postgres') {
        // A flush while running: the counter check notices and reconciles within counterCheckMs.
        const { createRedisStore } = await import('@aihub/core/testing');
        const store = createRedisStore({ url: backend.redisUrl!, prefix: backend.keyPrefix });
        await store.deleteByPrefix('usage:spend');
        await store.close();
        await waitFor('reconciled counters', async () => (await counter('tenant', 'tb', 'tb')) !== null, 5000);
        assert.equal((await chat(caller)).status, 429);
      }
    });

    it('reports budgets with their source and spend, and validates and authorizes changes', async () => {
      const res = await gw.fetch('/admin/v1/tenants/tb/budgets', {
        headers: asCaller({ tenant: 'tb', role: 'viewer' }),
      });
      assert.equal(res.status, 200);
      const b = (await res.json()) as {
        spend: {
          daily: { spent_micros: number; hard_limit_micros: number; remaining_micros: number };
          monthly: { spent_micros: number };
        };
      };
      assert.ok(b.spend.daily.spent_micros >= 400);
      assert.equal(b.spend.daily.hard_limit_micros, 400);
      assert.equal(b.spend.daily.remaining_micros, 0);
      assert.equal(b.spend.monthly.spent_micros, b.spend.daily.spent_micros);

      const viewer = await put(
        '/admin/v1/tenants/tb/budgets',
        { daily_hard_micros: 1 },
        asCaller({ tenant: 'tb', role: 'viewer' }),
      );
      assert.equal(viewer.status, 403);
      const other = await put('/admin/v1/tenants/tb/budgets', { daily_hard_micros: 1 }, owner('tx'));
      assert.equal(other.status, 404);
      const anon = await gw.fetch('/admin/v1/tenants/tb/budgets');
      assert.equal(anon.status, 401);
      const bad = await put(
        '/admin/v1/tenants/tb/budgets',
        { daily_hard_micros: 10, daily_soft_micros: 20 },
        owner('tb'),
      );
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, 'validation_failed');
      const unknown = await put('/admin/v1/tenants/tb/budgets', { daily_hard: 10 }, owner('tb'));
      assert.equal(unknown.status, 400);
      const neg = await put('/admin/v1/tenants/tb/budgets', { daily_hard_micros: -5 }, owner('tb'));
      assert.equal(neg.status, 400);
      // Raising the budget lets requests through again, at once.
      assert.equal(
        (await put('/admin/v1/tenants/tb/budgets', { daily_hard_micros: 1_000_000 }, owner('tb'))).status,
        200,
      );
      assert.equal((await chat(asCaller({ tenant: 'tb', key: 'kb1' }))).status, 200);
    });
  });
}
