import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metricValue, postJson, startStack, type Backend, type Stack } from './harness';

const ask = (stack: Stack, model: string, extra: Record<string, unknown> = {}) =>
  postJson(stack, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'route me' }], ...extra });

async function recordOf(stack: Stack, res: Response) {
  await res.arrayBuffer();
  return stack.usage.waitFor(res.headers.get('x-request-id')!);
}

const servedBy = (stack: Stack, model: string) =>
  stack.mock.requests.filter((r) => (r.body as { model?: string }).model === model).length;

/** Routing: retries with backoff and Retry-After, fallbacks, circuit breakers and strategies. */
export function routingSuite(backend: Backend): void {
  describe(`routing, retries, fallbacks and breakers (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        backend,
        mock: { record: 500 },
        ai: {
          requireAuth: false,
          retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 2000 },
          breaker: { volumeThreshold: 1000 },
          models: {
            fb: {
              deployments: [
                { provider: 'up', model: 'primary', weight: 1 },
                { provider: 'up', model: 'secondary', weight: 0 },
              ],
            },
            ra: {
              deployments: [
                { provider: 'up', model: 'ra-primary', weight: 1 },
                { provider: 'up', model: 'ra-secondary', weight: 0 },
              ],
            },
            cross: { deployments: [{ provider: 'up', model: 'cross-own' }], fallbacks: ['other'] },
            other: { deployments: [{ provider: 'up', model: 'cross-other' }] },
            split: {
              deployments: [
                { provider: 'up', model: 'split-a', weight: 3 },
                { provider: 'up', model: 'split-b', weight: 1 },
              ],
            },
            cheap: {
              strategy: 'cheapest',
              deployments: [
                { provider: 'up', model: 'dear', priceOverride: { input: 10, output: 30 } },
                { provider: 'up', model: 'thrifty', priceOverride: { input: 0.1, output: 0.2 } },
              ],
            },
            fast: {
              strategy: 'least-latency',
              deployments: [
                { provider: 'up', model: 'lat-slow' },
                { provider: 'up', model: 'lat-fast' },
              ],
            },
          },
        },
      });
    });
    after(() => stack.stop());

    it('retries a 5xx on the same deployment, then falls back to the next one', async () => {
      stack.mock.setFailure({ status: 500, times: 2, match: { model: 'primary' } });
      const rec = await recordOf(stack, await ask(stack, 'fb'));
      assert.equal(rec.status, 'success');
      assert.equal(rec.deployment, 'up/secondary');
      assert.equal(servedBy(stack, 'primary'), 2);
      assert.equal(servedBy(stack, 'secondary'), 1);
      assert.equal(await metricValue(stack, 'aihub_ai_retries_total', { deployment: 'up/primary', reason: '5xx' }), 1);
      assert.equal(await metricValue(stack, 'aihub_ai_fallbacks_total', { from: 'up/primary', to: 'up/secondary' }), 1);
    });

    it('waits for Retry-After (seconds and retry-after-ms) before retrying the same deployment', async () => {
      stack.mock.setFailure({ status: 429, retryAfter: 1, match: { model: 'ra-primary' } });
      let t = Date.now();
      let rec = await recordOf(stack, await ask(stack, 'ra'));
      assert.ok(Date.now() - t >= 950, `waited ${Date.now() - t} ms`);
      assert.equal(rec.deployment, 'up/ra-primary');
      stack.mock.setFailure({ status: 429, retryAfterMs: 300, match: { model: 'ra-primary' } });
      t = Date.now();
      rec = await recordOf(stack, await ask(stack, 'ra'));
      const waited = Date.now() - t;
      assert.ok(waited >= 280 && waited < 950, `waited ${waited} ms`);
      assert.equal(rec.deployment, 'up/ra-primary');
      assert.equal(
        await metricValue(stack, 'aihub_ai_retries_total', { deployment: 'up/ra-primary', reason: '429' }),
        2,
      );
    });

    it('falls back at once when Retry-After is longer than allowed, and answers 429 when nothing is left', async () => {
      stack.mock.setFailure({ status: 429, retryAfter: 60, match: { model: 'ra-primary' } });
      const t = Date.now();
      const rec = await recordOf(stack, await ask(stack, 'ra'));
      assert.ok(Date.now() - t < 900);
      assert.equal(rec.deployment, 'up/ra-secondary');
      stack.mock.setFailure({ status: 429, retryAfter: 60, match: { model: 'ra-primary' } });
      stack.mock.setFailure({ status: 429, retryAfter: 60, match: { model: 'ra-secondary' } });
      const res = await ask(stack, 'ra');
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '60');
      const body = (await res.json()) as { error: { type: string; code: string } };
      assert.equal(body.error.type, 'rate_limit_error');
    });

    it('falls back to another alias listed in fallbacks', async () => {
      stack.mock.setFailure({ status: 502, times: 2, match: { model: 'cross-own' } });
      const rec = await recordOf(stack, await ask(stack, 'cross'));
      assert.equal(rec.deployment, 'up/cross-other');
      assert.equal(rec.model, 'cross');
    });

    it('splits traffic by weight', async () => {
      const n = 200;
      const counts: Record<string, number> = {};
      await Promise.all(
        Array.from({ length: n }, async () => {
          const rec = await recordOf(stack, await ask(stack, 'split'));
          counts[rec.deployment!] = (counts[rec.deployment!] ?? 0) + 1;
        }),
      );
      const a = counts['up/split-a'] ?? 0;
      assert.equal(a + (counts['up/split-b'] ?? 0), n);
      assert.ok(a > n * 0.62 && a < n * 0.88, `split-a got ${a} of ${n}`);
    });

    it('cheapest strategy picks the lowest price; least-latency measures and prefers the faster', async () => {
      for (let i = 0; i < 3; i++)
        assert.equal((await recordOf(stack, await ask(stack, 'cheap'))).deployment, 'up/thrifty');
      stack.mock.setFailure({ delayMs: 60, times: 0, match: { model: 'lat-slow' } });
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) seen.add((await recordOf(stack, await ask(stack, 'fast'))).deployment!);
      assert.ok(seen.has('up/lat-slow') && seen.has('up/lat-fast'), 'each unmeasured deployment is tried');
      for (let i = 0; i < 5; i++)
        assert.equal((await recordOf(stack, await ask(stack, 'fast'))).deployment, 'up/lat-fast');
      stack.mock.clearFailures();
    });
  });

  describe(`circuit breakers (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        backend,
        mock: { record: 500 },
        ai: {
          requireAuth: false,
          retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
          breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 400, rollingWindowMs: 10_000 },
          models: {
            br: { deployments: [{ provider: 'up', model: 'brk' }] },
            ok: { deployments: [{ provider: 'up', model: 'fine' }] },
            primary: { deployments: [{ provider: 'up', model: 'brk-fb' }], fallbacks: ['backup'] },
            backup: { deployments: [{ provider: 'up', model: 'fine-fb' }] },
          },
        },
      });
    });
    after(() => stack.stop());

    it('opens the breaker, skips the deployment, then half-opens and closes', async () => {
      stack.mock.setFailure({ status: 500, times: 2, match: { model: 'brk' } });
      let res = await ask(stack, 'br');
      assert.equal(res.status, 502);
      await res.arrayBuffer();
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk' }), 2);
      const before = servedBy(stack, 'brk');
      res = await ask(stack, 'br');
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'no_healthy_deployment');
      assert.equal(servedBy(stack, 'brk'), before, 'an open breaker is skipped: no upstream call');
      const ready = await stack.kernel.health.run('readiness');
      const check = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!;
      assert.equal(check.ok, true, 'an open breaker does not fail readiness by default');
      assert.deepEqual((check.details as { open: string[] }).open, ['up/brk']);
      assert.deepEqual((check.details as { unavailableModels: string[] }).unavailableModels, ['br']);

      await new Promise((r) => setTimeout(r, 450));
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk' }), 1);
      // A failing trial call opens it again.
      stack.mock.setFailure({ status: 500, match: { model: 'brk' } });
      res = await ask(stack, 'br');
      assert.equal(res.status, 502);
      await res.arrayBuffer();
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk' }), 2);
      await new Promise((r) => setTimeout(r, 450));
      res = await ask(stack, 'br');
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk' }), 0);
    });

    it('counts every request routed around an open breaker as a fallback; the alias stays available while its fallback serves (issue 14 item 5)', async () => {
      stack.mock.setFailure({ status: 500, times: 2, match: { model: 'brk-fb' } });
      const metric = () => metricValue(stack, 'aihub_ai_fallbacks_total', { from: 'up/brk-fb', to: 'up/fine-fb' });
      for (let i = 0; i < 6; i++) {
        const res = await ask(stack, 'primary');
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk-fb' }), 2);
      assert.equal(servedBy(stack, 'fine-fb'), 6);
      assert.equal(await metric(), 6, 'six requests served by the fallback, six fallbacks counted');
      const ready = await stack.kernel.health.run('readiness');
      const details = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!.details as {
        unavailableModels: string[];
        servedByFallback: string[];
      };
      assert.ok(!details.unavailableModels.includes('primary'), 'its fallback serves it');
      assert.deepEqual(details.servedByFallback, ['primary']);
    });

    it('does not count client errors against the breaker', async () => {
      stack.mock.setFailure({ status: 400, times: 5, match: { model: 'brk' } });
      for (let i = 0; i < 5; i++) {
        const res = await ask(stack, 'br');
        assert.equal(res.status, 400);
        await res.arrayBuffer();
      }
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/brk' }), 0);
    });
  });
}
