/**
 * The cache and the rate limiter together with the real ai plugin and the real mock upstream
 * (bench/src/mock-upstream): what reaches the upstream, what the client gets, what usage says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import ai from '../../ai/src/index';
import example from '../../example/src/index';
import rateLimit from '../../rate-limit/src/index';
import cache from '../src/index';
import {
  BACKENDS,
  createBackend,
  identityPlugin,
  readSse,
  usageSink,
  eventually,
  type Backend,
  type UsageSink,
} from './fixtures';

const KEY = 'sk-mock-upstream-key-0123456789';

interface Chunk {
  choices: { delta: { content?: string }; finish_reason: string | null }[];
  usage?: { total_tokens: number } | null;
}

for (const backendName of BACKENDS) {
  describe(`cache + rate-limit with the ai plugin and the mock upstream (${backendName})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    let sink: UsageSink;
    let seq = 0;
    const fresh = () => `question ${++seq} at ${Date.now()}`;
    const headers = (tenant: string) => ({
      'content-type': 'application/json',
      'x-test-tenant': tenant,
      'x-test-key': 'k1',
      'x-test-scopes': 'ai:invoke',
    });
    const chat = (tenant: string, q: string, extra: Record<string, unknown> = {}) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: headers(tenant),
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: q }],
          temperature: 0,
          ...extra,
        }),
      });

    before(async () => {
      backend = await createBackend(backendName);
      mock = await startMockUpstream({ apiKey: KEY, completionTokens: 12, latencyMs: 20 });
      sink = usageSink();
      gw = await startTestGateway({
        plugins: [identityPlugin().plugin, ai, rateLimit, cache, sink.plugin, example],
        config: backend.config,
        pluginConfig: {
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
            models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
          },
          'rate-limit': { windowSeconds: 3600, defaults: { requestsPerMinute: 1000, tokensPerMinute: 100_000 } },
        },
      });
    });
    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('caches the ai plugin’s JSON answer and replays it as a stream without calling the upstream again', async () => {
      const q = fresh();
      const before = mock.stats.received;
      const first = await chat('e2e-a', q);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      const body = (await first.json()) as {
        choices: { message: { content: string } }[];
        usage: { total_tokens: number };
      };
      await sleep(50);
      const second = await chat('e2e-a', q, { stream: true, stream_options: { include_usage: true } });
      assert.equal(second.headers.get('x-aihub-cache'), 'hit');
      // Response transforms run on a hit too (issue 14 item 10): the example plugin's header.
      assert.equal(first.headers.get('x-aihub-example'), 'hello');
      assert.equal(second.headers.get('x-aihub-example'), 'hello');
      const events = await readSse(second);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1) as Chunk[];
      assert.equal(
        chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join(''),
        body.choices[0].message.content,
      );
      assert.equal(chunks.at(-1)?.usage?.total_tokens, body.usage.total_tokens);
      assert.equal(mock.stats.received - before, 1);
    });

    it('captures the ai plugin’s relayed stream and serves it as JSON (usage from AiCallKey)', async () => {
      const q = fresh();
      const before = mock.stats.received;
      const first = await chat('e2e-a', q, { stream: true });
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      const streamed = ((await readSse(first)).slice(0, -1) as Chunk[])
        .flatMap((c) => c.choices.map((x) => x.delta.content ?? ''))
        .join('');
      await sleep(80);
      const second = await chat('e2e-a', q);
      assert.equal(second.headers.get('x-aihub-cache'), 'hit');
      const body = (await second.json()) as {
        choices: { message: { content: string } }[];
        usage: { completion_tokens: number };
      };
      assert.equal(body.choices[0].message.content, streamed);
      assert.equal(body.usage.completion_tokens, 12);
      assert.equal(mock.stats.received - before, 1);
    });

    it('sends 50 concurrent identical misses to the upstream once', async () => {
      const q = fresh();
      const before = mock.stats.received;
      const all = await Promise.all(Array.from({ length: 50 }, () => chat('e2e-b', q)));
      for (const r of all) assert.equal(r.status, 200);
      await Promise.all(all.map((r) => r.arrayBuffer()));
      assert.equal(mock.stats.received - before, 1);
    });

    it('records exactly one usage record per hit, flagged as a cache hit with no cost', async () => {
      const q = fresh();
      const miss = await chat('e2e-c', q);
      const missId = miss.headers.get('x-request-id')!;
      await miss.arrayBuffer();
      await sleep(50);
      const hit = await chat('e2e-c', q);
      assert.equal(hit.headers.get('x-aihub-cache'), 'hit');
      const hitId = hit.headers.get('x-request-id')!;
      await hit.arrayBuffer();
      await eventually(
        () => sink.records.some((r) => r.requestId === hitId) && sink.records.some((r) => r.requestId === missId),
        10_000,
      );
      await sleep(200);
      const hits = sink.records.filter((r) => r.requestId === hitId);
      assert.equal(
        hits.length,
        1,
        'one record for the hit (the ai plugin records it; the cache does not duplicate it)',
      );
      assert.equal(hits[0].cacheHit, true);
      assert.equal(hits[0].costMicros, 0);
      assert.equal(hits[0].completionTokens, 12);
      const misses = sink.records.filter((r) => r.requestId === missId);
      assert.equal(misses.length, 1);
      assert.equal(misses[0].cacheHit, false);
    });

    it('reconciles tokens with the real usage of the ai plugin, and charges a cache hit no tokens', async () => {
      const q = fresh();
      const first = await chat('e2e-d', q, { stream: true, max_tokens: 500 });
      const reserved = 100_000 - Number(first.headers.get('x-ratelimit-remaining-tokens'));
      assert.ok(reserved >= 500, `reserved ${reserved}`);
      await readSse(first);
      await sleep(100);
      const usage = sink.records.find((r) => r.requestId === first.headers.get('x-request-id'));
      const real = usage?.totalTokens ?? (await waitForRecord(sink, first.headers.get('x-request-id')!)).totalTokens;
      // A cache hit: the reservation is refunded entirely after the response.
      const hit = await chat('e2e-d', q, { stream: true, max_tokens: 500 });
      assert.equal(hit.headers.get('x-aihub-cache'), 'hit');
      await hit.arrayBuffer();
      await sleep(100);
      const probe = await chat('e2e-d', fresh(), { max_tokens: 1 });
      await probe.arrayBuffer();
      const probeReserved =
        Number(probe.headers.get('x-ratelimit-limit-tokens')) -
        Number(probe.headers.get('x-ratelimit-remaining-tokens'));
      // Used before the probe = the first call's real usage only (the hit cost nothing).
      const probeCost = probeReserved - real;
      assert.ok(
        probeCost > 0 && probeCost < 30,
        `probe reservation ${probeCost} (counter ${probeReserved}, first call ${real})`,
      );
    });
  });
}

async function waitForRecord(sink: UsageSink, id: string) {
  await eventually(() => sink.records.some((r) => r.requestId === id), 10_000);
  return sink.records.find((r) => r.requestId === id)!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
