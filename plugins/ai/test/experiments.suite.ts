import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metricValue, postJson, startStack, type Backend, type Stack } from './harness';

const asUser = (tenant: string, user: string, extra: Record<string, string> = {}) => ({
  'x-test-tenant': tenant,
  'x-test-user': user,
  ...extra,
});

/** A/B experiments: sticky assignment, distribution, per-variant routing and metrics, feedback, admin summary. */
export function experimentsSuite(backend: Backend): void {
  describe(`experiments and feedback (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        backend,
        mock: { record: 0 },
        ai: {
          requireAuth: false,
          feedback: { flushIntervalMs: 20 },
          models: {
            'exp-a': { deployments: [{ provider: 'up', model: 'model-a' }] },
            'exp-b': { deployments: [{ provider: 'up', model: 'model-b' }] },
          },
          experiments: [
            {
              name: 'tone',
              alias: 'assistant',
              stickyBy: 'user',
              variants: [
                { name: 'control', model: 'exp-a' },
                { name: 'treatment', model: 'exp-b' },
              ],
            },
            {
              name: 'keyed',
              alias: 'keyed',
              stickyBy: 'key',
              variants: [
                { name: 'x', deployments: [{ provider: 'up', model: 'model-x' }], weight: 1 },
                { name: 'y', deployments: [{ provider: 'up', model: 'model-y' }], weight: 3 },
              ],
            },
          ],
        },
      });
    });
    after(() => stack.stop());

    async function ask(model: string, headers: Record<string, string>, body: Record<string, unknown> = {}) {
      const res = await postJson(
        stack,
        '/v1/chat/completions',
        { model, messages: [{ role: 'user', content: 'hello' }], ...body },
        headers,
      );
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      return { variant: res.headers.get('x-aihub-variant'), requestId: res.headers.get('x-request-id')! };
    }

    it('keeps a user on one variant, routes it to the variant, and says so in x-aihub-variant', async () => {
      const first = await ask('assistant', asUser('t1', 'alice'));
      assert.ok(first.variant === 'control' || first.variant === 'treatment');
      for (let i = 0; i < 5; i++) assert.equal((await ask('assistant', asUser('t1', 'alice'))).variant, first.variant);
      const rec = await stack.usage.waitFor(first.requestId);
      assert.equal(rec.experiment, 'tone');
      assert.equal(rec.variant, first.variant);
      assert.equal(rec.deployment, first.variant === 'control' ? 'up/model-a' : 'up/model-b');
      assert.equal(rec.model, 'assistant');
      assert.equal(rec.tenantId, 't1');
      assert.equal(rec.userId, 'alice');
      // Without a principal, the request's `user` field is the subject.
      const anon = await ask('assistant', {}, { user: 'end-user-7' });
      for (let i = 0; i < 3; i++)
        assert.equal((await ask('assistant', {}, { user: 'end-user-7' })).variant, anon.variant);
    });

    it('splits subjects by weight (user: 1:1, key: 1:3)', async () => {
      const n = 300;
      const tone: Record<string, number> = {};
      const keyed: Record<string, number> = {};
      for (let i = 0; i < n; i += 30) {
        await Promise.all(
          Array.from({ length: 30 }, async (_, j) => {
            const v = (await ask('assistant', asUser('t2', `user-${i + j}`))).variant!;
            tone[v] = (tone[v] ?? 0) + 1;
            const k = (await ask('keyed', { 'x-test-tenant': 't2', 'x-test-key': `key-${i + j}` })).variant!;
            keyed[k] = (keyed[k] ?? 0) + 1;
          }),
        );
      }
      assert.ok(tone.control > n * 0.4 && tone.control < n * 0.6, JSON.stringify(tone));
      assert.ok(keyed.y > n * 0.65 && keyed.y < n * 0.85, JSON.stringify(keyed));
      assert.equal(
        await metricValue(stack, 'aihub_ai_experiment_requests_total', {
          experiment: 'keyed',
          variant: 'y',
          status: 'success',
        }),
        keyed.y,
      );
    });

    it('lists experiment aliases as models', async () => {
      const ids = ((await (await stack.fetch('/v1/models')).json()) as { data: { id: string }[] }).data.map(
        (m) => m.id,
      );
      assert.ok(ids.includes('assistant') && ids.includes('keyed'));
    });

    it('records feedback on a request of the caller’s tenant, counted per variant', async () => {
      const { requestId, variant } = await ask('assistant', asUser('t3', 'bob'));
      const res = await postJson(
        stack,
        '/v1/feedback',
        { request_id: requestId, score: 1, comment: 'great' },
        asUser('t3', 'bob'),
      );
      assert.equal(res.status, 201);
      const body = (await res.json()) as {
        object: string;
        experiment: string;
        variant: string;
        score: number;
        comment: string;
        id: string;
      };
      assert.equal(body.object, 'feedback');
      assert.equal(body.experiment, 'tone');
      assert.equal(body.variant, variant);
      assert.equal(body.comment, 'great');
      await new Promise((r) => setTimeout(r, 60));
      const res2 = await postJson(stack, '/v1/feedback', { request_id: requestId, score: -1 }, asUser('t3', 'carol'));
      assert.equal(res2.status, 201, 'from the database too (after the batch was written)');
      assert.equal(
        await metricValue(stack, 'aihub_ai_experiment_feedback_total', { experiment: 'tone', variant: variant! }),
        2,
      );
      assert.equal(
        await metricValue(stack, 'aihub_ai_experiment_feedback_score_sum', { experiment: 'tone', variant: variant! }),
        0,
      );

      const other = await postJson(stack, '/v1/feedback', { request_id: requestId, score: 1 }, asUser('t4', 'mallory'));
      assert.equal(other.status, 404);
      assert.equal(((await other.json()) as { error: { code: string } }).error.code, 'request_not_found');
      const missing = await postJson(stack, '/v1/feedback', { request_id: 'nope', score: 1 }, asUser('t3', 'bob'));
      assert.equal(missing.status, 404);
      const bad = await postJson(stack, '/v1/feedback', { request_id: requestId }, asUser('t3', 'bob'));
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'score');
    });

    it('keys requests per tenant: another tenant sending the same x-request-id first does not take it', async () => {
      const id = `shared-${Date.now()}`;
      const a = await ask('assistant', asUser('t5', 'eve', { 'x-request-id': id }));
      const b = await ask('assistant', asUser('t6', 'bob', { 'x-request-id': id }));
      assert.equal(a.requestId, id);
      assert.equal(b.requestId, id);
      await new Promise((r) => setTimeout(r, 150)); // both rows written (flushIntervalMs 20)
      for (const tenant of ['t6', 't5']) {
        const res = await postJson(stack, '/v1/feedback', { request_id: id, score: 1 }, asUser(tenant, 'x'));
        assert.equal(res.status, 201, `${tenant}'s request is recorded`);
        assert.equal(((await res.json()) as { variant: string }).variant, tenant === 't5' ? a.variant : b.variant);
      }
      // The same tenant sending an id twice keeps its first row.
      await ask('assistant', asUser('t6', 'bob', { 'x-request-id': id }));
      await new Promise((r) => setTimeout(r, 100));
      const t6 = await stack.fetch('/admin/v1/tenants/t6/experiments', {
        headers: asUser('t6', 'admin-6', { 'x-test-role': 'admin' }),
      });
      const tone = (
        (await t6.json()) as { experiments: { name: string; variants: { requests: number }[] }[] }
      ).experiments.find((e) => e.name === 'tone')!;
      assert.equal(
        tone.variants.reduce((n, v) => n + v.requests, 0),
        1,
      );
    });

    it('summarises a tenant’s experiments for its admins only', async () => {
      const admin = asUser('t3', 'admin-1', { 'x-test-role': 'admin' });
      const res = await stack.fetch('/admin/v1/tenants/t3/experiments', { headers: admin });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        experiments: {
          name: string;
          variants: {
            name: string;
            requests: number;
            feedback: { count: number; avg_score: number | null };
            avg_latency_ms: number | null;
          }[];
        }[];
      };
      const tone = body.experiments.find((e) => e.name === 'tone')!;
      const total = tone.variants.reduce((s, v) => s + v.requests, 0);
      assert.equal(total, 1);
      const withFeedback = tone.variants.find((v) => v.feedback.count > 0)!;
      assert.equal(withFeedback.feedback.count, 2);
      assert.equal(withFeedback.feedback.avg_score, 0);
      assert.ok(withFeedback.avg_latency_ms !== null);
      // The baseline (first variant) has no significance; the other is tested against it (one
      // request in all: a side without requests gives no p-value).
      const sig = (
        tone.variants as unknown as {
          significance: { test: string; baseline: string; p_value: number | null } | null;
        }[]
      ).map((v) => v.significance);
      assert.equal(sig[0], null);
      assert.equal(sig[1]?.test, 'two_proportion_z');
      assert.equal(sig[1]?.baseline, 'control');
      assert.equal(sig[1]?.p_value, null);
      assert.equal(
        (await stack.fetch('/admin/v1/tenants/t1/experiments', { headers: admin })).status,
        404,
        'another tenant is invisible',
      );
      assert.equal((await stack.fetch('/admin/v1/tenants/t3/experiments')).status, 401);
      const dev = await stack.fetch('/admin/v1/tenants/t3/experiments', {
        headers: asUser('t3', 'dev', { 'x-test-scopes': 'ai:invoke' }),
      });
      assert.equal(dev.status, 403);
      assert.equal(dev.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    });

    it('lists the catalog (aliases, deployments, prices, breakers) to a tenant’s admins only', async () => {
      const admin = asUser('t3', 'admin-1', { 'x-test-role': 'admin' });
      const res = await stack.fetch('/admin/v1/tenants/t3/models', { headers: admin });
      assert.equal(res.status, 200);
      type Dep = { id: string; provider: string; model: string; breaker: string; price: { source: string } | null };
      const body = (await res.json()) as {
        scope: string;
        editable: boolean;
        aliases: {
          alias: string;
          kind: string;
          deployments: Dep[];
          variants: { name: string; deployments: Dep[] }[];
        }[];
      };
      assert.equal(body.scope, 'instance');
      assert.equal(body.editable, false);
      const a = body.aliases.find((x) => x.alias === 'exp-a')!;
      assert.equal(a.kind, 'model');
      assert.deepEqual(
        a.deployments.map((d) => [d.provider, d.model, d.breaker]),
        [['up', 'model-a', 'closed']],
      );
      const exp = body.aliases.find((x) => x.alias === 'assistant')!;
      assert.equal(exp.kind, 'experiment');
      assert.deepEqual(
        exp.variants.map((v) => [v.name, v.deployments[0]!.model]),
        [
          ['control', 'model-a'],
          ['treatment', 'model-b'],
        ],
      );
      for (const x of body.aliases)
        for (const d of x.deployments)
          assert.ok(d.price === null || ['deployment', 'config', 'genai-prices'].includes(d.price.source));
      // A tenant limited to some models sees only those.
      const limited = await stack.fetch('/admin/v1/tenants/t3/models', {
        headers: { ...admin, 'x-test-settings': JSON.stringify({ allowedModels: ['exp-b'] }) },
      });
      assert.deepEqual(
        ((await limited.json()) as { aliases: { alias: string }[] }).aliases.map((x) => x.alias),
        ['exp-b'],
      );
      assert.equal(
        (await stack.fetch('/admin/v1/tenants/t1/models', { headers: admin })).status,
        404,
        'another tenant is invisible',
      );
      assert.equal((await stack.fetch('/admin/v1/tenants/t3/models')).status, 401);
      const dev = await stack.fetch('/admin/v1/tenants/t3/models', {
        headers: asUser('t3', 'dev', { 'x-test-scopes': 'ai:invoke' }),
      });
      assert.equal(dev.status, 403);
      assert.equal(dev.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    });
  });
}
