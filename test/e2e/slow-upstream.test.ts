/**
 * Issue 14 item 17 through the whole gateway (not only the provider class): N clients call a slow
 * upstream at once, through health + ai + usage on PostgreSQL + Redis (the bench's noauth profile).
 * The upstream holds every answer until all N calls are in flight at once (or each 20 s): its peak
 * concurrency is whatever caps calls anywhere on the way — the client server's connection limits,
 * the kernel's chain, the write-ahead usage record, the ai plugin's pool. A fixed pool of 128 per
 * origin peaked at 128 here; the answer must be N, whatever the machine's load.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createBackend,
  metricValue,
  startTestGateway,
  waitFor,
  type Backend,
  type TestGateway,
} from '@aihub/core/testing';

const N = 400;
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-slow',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
});

describe(`${N} clients at a slow upstream through the whole gateway`, () => {
  const state = { peak: 0, waiting: [] as http.ServerResponse[] };
  const release = () => {
    for (const r of state.waiting.splice(0)) r.writeHead(200, { 'content-type': 'application/json' }).end(COMPLETION);
  };
  let upstream: http.Server;
  let backend: Backend;
  let gw: TestGateway;

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        state.waiting.push(res);
        state.peak = Math.max(state.peak, state.waiting.length);
        if (state.waiting.length >= N) release();
      });
    });
    upstream.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    backend = await createBackend('postgres');
    gw = await startTestGateway({
      config: {
        ...backend.config,
        plugins: [
          { name: 'health' },
          {
            name: 'ai',
            config: {
              requireAuth: false,
              providers: { slow: { type: 'openai', baseUrl: `${origin}/v1`, apiKey: 'sk-slow-upstream' } },
              models: { 'gpt-4o-mini': { deployments: [{ provider: 'slow', model: 'gpt-4o-mini' }] } },
            },
          },
          { name: 'usage' },
        ],
      },
    });
  });

  after(async () => {
    release();
    await gw?.stop();
    await backend?.cleanup();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
  });

  it(`holds all ${N} calls in flight at the upstream at once, answers each, and meters each`, async () => {
    // Releases what waits every 20 s, so a capped gateway ends with the peak it reached, not a hang.
    const safety = setInterval(release, 20_000);
    try {
      const statuses = await Promise.all(
        Array.from({ length: N }, async () => {
          const res = await gw.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] }),
          });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.deepEqual([...new Set(statuses)], [200]);
    } finally {
      clearInterval(safety);
    }
    assert.equal(state.peak, N, `peak concurrency at the upstream: ${state.peak} of ${N}`);
    await waitFor(
      `${N} usage records written`,
      async () =>
        (await metricValue(await (await gw.fetch('/metrics')).text(), 'aihub_usage_records_written_total')) === N,
      30_000,
    );
  });
});
