/**
 * The automation engine through real gateways: a real mock upstream made failing and slow, the ai
 * plugin routing to it, rules firing on the cluster-wide figures, traffic moving to the fallback, the
 * probe restoring the deployment; dry-run, the cap, and two gateways on PostgreSQL + Redis that never
 * act twice. Timers run fast (100–200 ms) and every wait is `waitFor` on state, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  asCaller,
  createBackend,
  identityPlugin,
  metricValue,
  startTestGateway,
  waitFor,
  type Backend,
  type TestGateway,
} from '@aihub/core/testing';
import opsPlugin from './index';
import type { RuleInput } from './rules';

const ADMIN = { ...asCaller({ superadmin: true, user: 'usr_ops_admin' }), 'content-type': 'application/json' };

/** Two upstreams on one server, `/primary` and `/backup`, each failing, slow or healthy on demand. */
async function startUpstream() {
  const mode: Record<string, 'ok' | 'fail' | 'slow'> = { primary: 'ok', backup: 'ok' };
  const hits: Record<string, number> = { primary: 0, backup: 0 };
  const webhooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const which = (req.url ?? '').split('/')[1];
      if (which === 'hook') {
        webhooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        return void res.writeHead(204).end();
      }
      hits[which] = (hits[which] ?? 0) + 1;
      const answer = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content: which }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
      if (mode[which] === 'fail')
        return void res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"message":"overloaded","type":"server_error"}}');
      if (mode[which] === 'slow') return void setTimeout(answer, 300);
      answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { mode, hits, webhooks, origin, close: () => new Promise<void>((r) => server.close(() => r())) };
}
type Upstream = Awaited<ReturnType<typeof startUpstream>>;

function aiConfig(origin: string) {
  return {
    requireAuth: false,
    providers: {
      p: { type: 'openai', baseUrl: `${origin}/primary/v1`, apiKey: 'sk-primary' },
      b: { type: 'openai', baseUrl: `${origin}/backup/v1`, apiKey: 'sk-backup' },
    },
    models: {
      chat: { deployments: [{ provider: 'p', model: 'm', name: 'primary' }], fallbacks: ['backup'] },
      backup: { deployments: [{ provider: 'b', model: 'm', name: 'backup' }] },
    },
    retry: { maxAttempts: 1 },
    breaker: { enabled: false },
  };
}

const drainOnErrors: RuleInput = {
  name: 'drain-failing',
  when: { signal: 'error_ratio', above: 0.5, windowSeconds: 60, minSamples: 4 },
  action: { type: 'drain' },
  cooldownSeconds: 1,
};

async function startGateway(
  up: Upstream,
  ops: Record<string, unknown>,
  backendConfig: Record<string, unknown> = {},
): Promise<TestGateway> {
  return startTestGateway({
    plugins: [identityPlugin(), opsPlugin],
    config: {
      ...backendConfig,
      plugins: [
        { name: 'test-identity' },
        { name: 'ai', config: aiConfig(up.origin) },
        {
          name: 'ops',
          config: {
            evaluateIntervalMs: 150,
            sampleIntervalMs: 100,
            probe: { intervalMs: 150, successes: 3, timeoutMs: 2000 },
            ...ops,
          },
        },
      ],
    },
  });
}

const chat = (gw: TestGateway) =>
  gw.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
  });

async function answeredBy(gw: TestGateway): Promise<string> {
  const res = await chat(gw);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
}

async function events(
  gw: TestGateway,
  query = '',
): Promise<
  {
    rule: string;
    action: string;
    target: string;
    outcome: string;
    reason: string;
    instance: string;
    revision: number | null;
  }[]
> {
  const res = await gw.fetch(`/admin/v1/ops/events${query}`, { headers: ADMIN });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: never[] }).data;
}

async function state(gw: TestGateway): Promise<{
  leader: string | null;
  instance: string;
  deployments: {
    id: string;
    drained: { reason: string } | null;
    probe: { streak: number; required: number; lastResult: string | null; lastError: string | null } | null;
  }[];
}> {
  return (await (await gw.fetch('/admin/v1/ops/state', { headers: ADMIN })).json()) as never;
}

describe('ops on the embedded default (SQLite, in-process store)', () => {
  let up: Upstream;
  let gw: TestGateway;
  before(async () => {
    up = await startUpstream();
    gw = await startGateway(up, { rules: [drainOnErrors] });
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('drains a failing deployment, moves traffic to the fallback, and the probe restores it after consecutive successes', async () => {
    assert.equal(await answeredBy(gw), 'primary');
    up.mode.primary = 'fail';
    // Each request fails on primary and is answered by the fallback alias' deployment.
    for (let i = 0; i < 6; i++) assert.equal(await answeredBy(gw), 'backup');
    await waitFor(
      'primary drained',
      async () => !!(await state(gw)).deployments.find((d) => d.id === 'primary')?.drained,
    );
    const acted = await events(gw, '?rule=drain-failing&outcome=acted');
    assert.equal(acted.length, 1);
    assert.equal(acted[0].action, 'drain');
    assert.equal(acted[0].target, 'primary');
    assert.match(
      acted[0].reason,
      /^error_ratio of primary is (0\.\d+|1) \(above 0\.5\): [\d.]+% of \d+ upstream attempts failed in the last 60s/,
    );
    // Drained: the primary upstream sees no more client traffic (probes aside, which keep failing).
    const before = up.hits.primary;
    for (let i = 0; i < 5; i++) assert.equal(await answeredBy(gw), 'backup');
    // Probes (failing) may have hit primary meanwhile; client requests did not wait on it.
    assert.ok(up.hits.primary - before <= 3, `primary got ${up.hits.primary - before} calls while drained`);
    // Still failing: the probe keeps it drained.
    const probesBefore = metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_ops_probes_total', {
      deployment: 'primary',
      result: 'failed',
    });
    await waitFor(
      'a failed probe',
      async () =>
        metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_ops_probes_total', {
          deployment: 'primary',
          result: 'failed',
        }) > probesBefore,
    );
    const failing = (await state(gw)).deployments.find((d) => d.id === 'primary')!;
    assert.ok(failing.drained);
    assert.equal(failing.probe?.lastResult, 'failed');
    assert.equal(failing.probe?.streak, 0);
    assert.equal(failing.probe?.required, 3);
    // Healthy again: restored after three successful probes in a row.
    up.mode.primary = 'ok';
    await waitFor(
      'primary restored',
      async () => !(await state(gw)).deployments.find((d) => d.id === 'primary')?.drained,
    );
    const restored = await events(gw, '?action=restore');
    assert.equal(restored.length, 1);
    assert.match(restored[0].reason, /3 consecutive probes succeeded/);
    assert.equal(restored[0].rule, 'drain-failing');
    // One routing history: the drain and the restore are catalog revisions naming the rule and the probe.
    const revisions = (
      (await (await gw.fetch('/admin/v1/ai/catalog/revisions', { headers: ADMIN })).json()) as {
        revisions: { revision: number; author: string | null; reason: string | null }[];
      }
    ).revisions;
    const drainRev = revisions.find((r) => r.author === 'ops:drain-failing');
    assert.ok(drainRev, `a revision by ops:drain-failing in ${JSON.stringify(revisions)}`);
    assert.match(drainRev.reason ?? '', /error_ratio of primary/);
    const probeRev = revisions.find((r) => r.author === 'probe');
    assert.ok(probeRev, `a revision by the probe in ${JSON.stringify(revisions)}`);
    assert.match(probeRev.reason ?? '', /3 consecutive probes succeeded/);
    // Each event names the revision its change made.
    assert.equal(acted[0].revision, drainRev.revision);
    assert.equal(restored[0].revision, probeRev.revision);
    assert.equal((await state(gw)).deployments.find((d) => d.id === 'primary')!.probe, null);
    assert.equal(await answeredBy(gw), 'primary');
    const metrics = await (await gw.fetch('/metrics')).text();
    assert.equal(
      metricValue(metrics, 'aihub_ops_decisions_total', { rule: 'drain-failing', action: 'drain', outcome: 'acted' }),
      1,
    );
  });

  it('manages API rules (superadmin only), validates targets, and keeps config rules read-only', async () => {
    const rule: RuleInput = {
      name: 'slow-weight',
      when: { signal: 'latency_p95_ms', above: 100 },
      action: { type: 'set_weight', alias: 'chat', target: 'primary', weight: 0 },
    };
    const notAdmin = await gw.fetch('/admin/v1/ops/rules', {
      method: 'POST',
      headers: { ...asCaller({ tenant: 'ten_a', role: 'owner' }), 'content-type': 'application/json' },
      body: JSON.stringify(rule),
    });
    assert.equal(notAdmin.status, 403);
    assert.equal(((await notAdmin.json()) as { code: string }).code, 'ops_superadmin_only');
    const bad = await gw.fetch('/admin/v1/ops/rules', {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ ...rule, action: { ...rule.action, target: 'nope' } }),
    });
    assert.equal(bad.status, 422);
    const created = await gw.fetch('/admin/v1/ops/rules', {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify(rule),
    });
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal(
      (await gw.fetch('/admin/v1/ops/rules', { method: 'POST', headers: ADMIN, body: JSON.stringify(rule) })).status,
      409,
    );
    const put = await gw.fetch('/admin/v1/ops/rules/slow-weight', {
      method: 'PUT',
      headers: ADMIN,
      body: JSON.stringify({ ...rule, enabled: false }),
    });
    assert.equal(put.status, 200);
    const list = (await (await gw.fetch('/admin/v1/ops/rules', { headers: ADMIN })).json()) as {
      data: { name: string; source: string; enabled: boolean }[];
    };
    assert.deepEqual(
      list.data.map((r) => [r.name, r.source, r.enabled]),
      [
        ['drain-failing', 'config', true],
        ['slow-weight', 'api', false],
      ],
    );
    assert.equal(
      (await gw.fetch('/admin/v1/ops/rules/drain-failing', { method: 'DELETE', headers: ADMIN })).status,
      409,
    );
    assert.equal((await gw.fetch('/admin/v1/ops/rules/slow-weight', { method: 'DELETE', headers: ADMIN })).status, 204);
    assert.equal((await gw.fetch('/admin/v1/ops/rules/slow-weight', { headers: ADMIN })).status, 404);
    assert.equal((await gw.fetch('/admin/v1/ops/events?outcome=maybe', { headers: ADMIN })).status, 400);
  });

  it('drains and restores by hand; a drain by hand is never restored by the probe', async () => {
    const drained = await gw.fetch('/admin/v1/ops/deployments/backup/drain', {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ reason: 'provider maintenance' }),
    });
    assert.equal(drained.status, 200, await drained.clone().text());
    assert.match(
      ((await drained.json()) as { drained: { reason: string } }).drained.reason,
      /by hand: provider maintenance/,
    );
    assert.equal(
      (
        await gw.fetch('/admin/v1/ops/deployments/nope/drain', {
          method: 'POST',
          headers: ADMIN,
          body: JSON.stringify({ reason: 'x' }),
        })
      ).status,
      422,
    );
    // The probe runs every 150 ms against a healthy upstream: wait for several rounds of it.
    const probes = async () => metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_ops_probes_total');
    const before = await probes();
    await waitFor(
      'a few probe rounds',
      async () => (await answeredBy(gw)) === 'primary' && (await events(gw, '?rule=manual')).length === 1,
    );
    assert.equal(await probes(), before, 'a drain by hand is not probed');
    assert.ok((await state(gw)).deployments.find((d) => d.id === 'backup')?.drained);
    assert.equal(
      (await gw.fetch('/admin/v1/ops/deployments/backup/restore', { method: 'POST', headers: ADMIN })).status,
      200,
    );
    assert.equal((await state(gw)).deployments.find((d) => d.id === 'backup')?.drained, null);
    const byHand = (
      (await (await gw.fetch('/admin/v1/ai/catalog/revisions', { headers: ADMIN })).json()) as {
        revisions: { revision: number; author: string | null; reason: string | null }[];
      }
    ).revisions.filter((r) => r.author === 'usr_ops_admin');
    assert.deepEqual(
      byHand.map((r) => r.reason).sort(),
      ['provider maintenance', 'restored by hand'],
      'the drain and restore by hand are revisions naming the operator',
    );
    assert.deepEqual(
      (await events(gw, '?rule=manual')).map((e) => e.action),
      ['restore', 'drain'],
    );
  });
});

describe('ops safety: dry-run, the cap, signed webhooks', () => {
  let up: Upstream;
  after(async () => up?.close());
  before(async () => {
    up = await startUpstream();
  });

  it('dry-run decides and records, and acts not', async () => {
    const gw = await startGateway(up, { dryRun: true, rules: [drainOnErrors] });
    try {
      up.mode.primary = 'fail';
      for (let i = 0; i < 6; i++) await answeredBy(gw);
      await waitFor('a dry-run decision', async () => (await events(gw, '?outcome=dry_run')).length > 0);
      assert.equal((await events(gw, '?outcome=acted')).length, 0);
      assert.equal((await state(gw)).deployments.find((d) => d.id === 'primary')?.drained, null);
      assert.equal(await answeredBy(gw).then(() => up.hits.primary > 6), true, 'primary still receives traffic');
    } finally {
      up.mode.primary = 'ok';
      await gw.stop();
    }
  });

  it('the cap holds: over maxActions per window a decision is recorded as capped, not done; a webhook is signed', async () => {
    const secret = 'whsec-0123456789abcdef';
    const gw = await startGateway(up, {
      maxActions: 1,
      actionWindowSeconds: 3600,
      webhooks: { oncall: { url: `${up.origin}/hook`, secret, format: 'slack' } },
      rules: [
        {
          name: 'page',
          when: { signal: 'error_ratio', above: 0.5, minSamples: 4 },
          action: { type: 'webhook', webhook: 'oncall' },
          cooldownSeconds: 3600,
        },
        {
          name: 'switch',
          when: { signal: 'error_ratio', subject: 'primary', above: 0.5, minSamples: 4 },
          action: { type: 'switch_fallback', target: 'chat' },
          cooldownSeconds: 3600,
        },
      ],
    });
    try {
      up.mode.primary = 'fail';
      for (let i = 0; i < 6; i++) await answeredBy(gw);
      await waitFor('two decisions', async () => (await events(gw)).length >= 2);
      const all = await events(gw);
      assert.equal(all.length, 2);
      assert.deepEqual(all.map((e) => e.outcome).sort(), ['acted', 'capped']);
      const acted = all.find((e) => e.outcome === 'acted')!;
      if (acted.action === 'webhook') {
        assert.equal(up.webhooks.length, 1);
        const hook = up.webhooks[0];
        const [t, v1] = String(hook.headers['x-aihub-signature'])
          .split(',')
          .map((p) => p.split('=')[1]);
        assert.equal(v1, createHmac('sha256', secret).update(`${t}.${hook.body}`).digest('hex'));
        assert.match((JSON.parse(hook.body) as { text: string }).text, /rule page → webhook primary \(acted\)/);
      } else {
        assert.equal(up.webhooks.length, 0);
      }
    } finally {
      up.mode.primary = 'ok';
      await gw.stop();
    }
  });
});

describe('ops on a slow upstream', () => {
  let up: Upstream;
  after(async () => up?.close());
  before(async () => {
    up = await startUpstream();
  });

  it('a slow deployment switches its alias to the fallback, and a forced breaker holds it out', async () => {
    const gw = await startGateway(up, {
      rules: [
        {
          name: 'slow-switch',
          when: { signal: 'latency_p95_ms', subject: 'primary', above: 200, minSamples: 3 },
          action: { type: 'switch_fallback', target: 'chat' },
          cooldownSeconds: 3600,
        },
        {
          name: 'slow-breaker',
          when: { signal: 'latency_p95_ms', subject: 'primary', above: 200, minSamples: 3 },
          action: { type: 'force_breaker', state: 'open' },
          cooldownSeconds: 3600,
        },
      ],
    });
    try {
      up.mode.primary = 'slow';
      for (let i = 0; i < 3; i++) assert.equal(await answeredBy(gw), 'primary');
      await waitFor('both rules acted', async () => (await events(gw, '?outcome=acted')).length === 2);
      const st = (await state(gw)) as unknown as {
        aliases: { alias: string; switchedToFallback: boolean }[];
        deployments: { id: string; breaker: string; forcedBreaker: string | null }[];
      };
      assert.equal(st.aliases.find((a) => a.alias === 'chat')?.switchedToFallback, true);
      assert.deepEqual(
        st.deployments.filter((d) => d.id === 'primary').map((d) => [d.breaker, d.forcedBreaker]),
        [['open', 'open']],
      );
      const metrics = await (await gw.fetch('/metrics')).text();
      assert.equal(metricValue(metrics, 'aihub_circuit_breaker_state', { deployment: 'primary' }), 2);
      const before = up.hits.primary;
      for (let i = 0; i < 3; i++) assert.equal(await answeredBy(gw), 'backup');
      assert.equal(up.hits.primary, before, 'no request reached the slow deployment');
      const reasons = (await events(gw)).map((e) => e.reason);
      assert.ok(
        reasons.every((r) => /^latency_p95_ms of primary is \d+ \(above 200\): p95 \d+ ms over \d+ attempts/.test(r)),
        reasons.join('\n'),
      );
    } finally {
      up.mode.primary = 'ok';
      await gw.stop();
    }
  });
});

describe('two gateways on PostgreSQL + Redis', () => {
  let up: Upstream;
  let backend: Backend;
  let a: TestGateway;
  let b: TestGateway;
  before(async () => {
    up = await startUpstream();
    backend = await createBackend('postgres');
    a = await startGateway(up, { rules: [drainOnErrors] }, backend.config);
    b = await startGateway(up, { rules: [drainOnErrors] }, backend.config);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await backend?.cleanup();
    await up?.close();
  });

  it('one leader; traffic on both is merged; the drain happens once and applies to both; a restore likewise', async () => {
    await waitFor('a leader', async () => !!(await state(a)).leader);
    const leader = (await state(a)).leader;
    assert.equal((await state(b)).leader, leader);
    assert.ok([(await state(a)).instance, (await state(b)).instance].includes(leader!));
    up.mode.primary = 'fail';
    // Two failures through each gateway: neither alone reaches minSamples 4, together they do.
    for (const gw of [a, b, a, b]) assert.equal(await answeredBy(gw), 'backup');
    await waitFor(
      'primary drained on both',
      async () =>
        !!(await state(a)).deployments.find((d) => d.id === 'primary')?.drained &&
        !!(await state(b)).deployments.find((d) => d.id === 'primary')?.drained,
    );
    const before = up.hits.primary;
    assert.equal(await answeredBy(b), 'backup');
    assert.equal(await answeredBy(a), 'backup');
    assert.ok(up.hits.primary - before <= 2);
    // The leader's failing probes, as the other instance reads them (shared store, not the leader's memory).
    const follower = (await state(a)).instance === leader ? b : a;
    await waitFor('a failed probe seen by the follower', async () => {
      const p = (await state(follower)).deployments.find((d) => d.id === 'primary')?.probe;
      return p?.lastResult === 'failed' && p.streak === 0 && p.lastError !== null;
    });
    up.mode.primary = 'ok';
    await waitFor(
      'primary restored on both',
      async () =>
        !(await state(a)).deployments.find((d) => d.id === 'primary')?.drained &&
        !(await state(b)).deployments.find((d) => d.id === 'primary')?.drained,
    );
    const all = await events(a);
    assert.deepEqual(
      all.map((e) => [e.action, e.outcome, e.instance === leader]),
      [
        ['restore', 'acted', true],
        ['drain', 'acted', true],
      ],
    );
    const both = (
      await Promise.all(
        [a, b].map(async (gw) =>
          metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_ops_decisions_total', { action: 'drain' }),
        ),
      )
    ).reduce((s, v) => s + v, 0);
    assert.equal(both, 1);
  });

  it('the other gateway takes over when the leader stops', async () => {
    const leader = (await state(a)).leader;
    const [stay, go] = (await state(a)).instance === leader ? [b, a] : [a, b];
    await go.stop();
    if (go === a) a = undefined as never;
    else b = undefined as never;
    await waitFor('the other leads', async () => (await state(stay)).leader === (await state(stay)).instance);
  });
});
