/**
 * Attempts, overhead and the request detail end to end: the real ai plugin in front of the bench mock
 * upstream, a deployment made to fail (503) so requests retry, fall back, and then skip it once its
 * breaker is open; the usage record (and GET …/requests/:id) shows each attempt in order, and the
 * overhead stored equals the x-aihub-overhead-ms the client got.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  identityPlugin,
  startTestGateway,
  waitFor,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
type Json = Record<string, any>;

const KEY = 'sk-mock-upstream-0123456789abcdef';

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`attempts on the usage record (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    const caller = asCaller({ tenant: 'ta', key: 'k-att', role: 'owner' });
    const chat = () =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...caller },
        body: JSON.stringify({ model: 'fb', messages: [{ role: 'user', content: 'try until it works' }] }),
      });
    const detail = async (id: string): Promise<Json> => {
      let body: Json = {};
      await waitFor(`request ${id} stored`, async () => {
        const res = await gw.fetch(`/admin/v1/tenants/ta/requests/${id}`, { headers: caller });
        if (res.status !== 200) return false;
        body = (await res.json()) as Json;
        return true;
      });
      return body;
    };

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ apiKey: KEY, completionTokens: 5, record: 0 });
      gw = await startTestGateway({
        plugins: [identityPlugin(), aiPlugin as PluginDefinition, usagePlugin],
        pluginConfig: {
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
            models: {
              fb: { deployments: [{ provider: 'up', model: 'bad-model', name: 'primary' }], fallbacks: ['fb-backup'] },
              'fb-backup': { deployments: [{ provider: 'up', model: 'good-model', name: 'backup' }] },
            },
            pricing: { 'good-model': { input: 1, output: 2 } },
            retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
            // Two failures in the window open the primary's breaker (the first request makes them).
            breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
          },
          usage: { consumer: { blockMs: 50 } },
        },
        config: backend.config,
      });
      mock.setFailure({ status: 503, times: 0, match: { model: 'bad-model' } });
    });

    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('records a retry and a fallback, then a breaker skip, with overhead equal to the header', async () => {
      const first = await chat();
      assert.equal(first.status, 200, await first.clone().text());
      await first.arrayBuffer();
      const d1 = await detail(first.headers.get('x-request-id')!);
      assert.deepEqual(
        d1.attempts.map((a: Json) => [a.deployment, a.outcome, a.status, a.next]),
        [
          ['primary', 'error', 503, 'retry'],
          ['primary', 'error', 503, 'fallback'],
          ['backup', 'success', null, null],
        ],
      );
      assert.equal(d1.attempt_count, 3);
      assert.equal(d1.deployment, 'backup');
      assert.equal(d1.status, 'success');
      assert.ok(d1.attempts.every((a: Json) => a.latency_ms >= 0 && a.latency_ms <= d1.latency_ms));
      assert.equal(d1.overhead_ms, Number(first.headers.get('x-aihub-overhead-ms')));
      assert.ok(
        d1.overhead_ms > 0 && d1.overhead_ms < d1.latency_ms,
        `overhead ${d1.overhead_ms} of ${d1.latency_ms} ms`,
      );
      assert.equal(d1.trace_id, null, 'tracing is off: no trace id');
      assert.ok(d1.cost_micros > 0);

      const second = await chat();
      assert.equal(second.status, 200);
      await second.arrayBuffer();
      const d2 = await detail(second.headers.get('x-request-id')!);
      assert.deepEqual(
        d2.attempts.map((a: Json) => [a.deployment, a.outcome, a.next, a.latency_ms]),
        [
          ['primary', 'breaker_open', 'fallback', 0],
          ['backup', 'success', null, d2.attempts[1].latency_ms],
        ],
      );

      // The list shows both, newest first, with the same figures.
      const list = (await (
        await gw.fetch('/admin/v1/tenants/ta/requests?key_id=k-att', { headers: caller })
      ).json()) as Json;
      assert.deepEqual(
        list.data.map((r: Json) => r.request_id),
        [d2.request_id, d1.request_id],
      );
      assert.equal(list.data[1].overhead_ms, d1.overhead_ms);
      assert.equal(list.data[1].cost_usd, d1.cost_usd);
    });
  });
}
