import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import cache from '../src/index';
import {
  BACKENDS,
  createBackend,
  eventually,
  fakeAiPlugin,
  identityPlugin,
  readSse,
  usageSink,
  type Backend,
  type FakeAi,
  type IdentityFixture,
  type UsageSink,
} from './fixtures';

interface Completion {
  id: string;
  model: string;
  choices: { message: { content: string | null }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface Chunk {
  object: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { total_tokens: number } | null;
}

let seq = 0;
/** A question nobody asked before in this process. */
const fresh = (what = 'q') => `${what} ${++seq} ${Date.now()}`;

for (const backendName of BACKENDS) {
  describe(`cache on ${backendName}`, () => {
    let backend: Backend;
    let gw: TestGateway;
    let ai: FakeAi;
    let identity: IdentityFixture;
    let sink: UsageSink;
    const headers = (tenant = 'acme', extra: Record<string, string> = {}) => ({
      'content-type': 'application/json',
      'x-test-tenant': tenant,
      'x-test-key': 'k1',
      ...extra,
    });
    const chat = (
      question: string,
      opts: { tenant?: string; headers?: Record<string, string>; body?: Record<string, unknown> } = {},
    ) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: headers(opts.tenant, opts.headers),
        body: JSON.stringify({
          model: 'gpt-test',
          messages: [{ role: 'user', content: question }],
          temperature: 0,
          ...opts.body,
        }),
      });

    before(async () => {
      backend = await createBackend(backendName);
      identity = identityPlugin();
      ai = fakeAiPlugin({ completionTokens: 7, chunks: 4, chunkGapMs: 1 });
      sink = usageSink();
      gw = await startTestGateway({
        plugins: [identity.plugin, ai.plugin, sink.plugin, cache],
        config: backend.config,
        pluginConfig: { cache: { models: { 'short-model': { ttlSeconds: 1 } }, statsFlushMs: 200 } },
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('answers a repeated deterministic request from the cache (miss, then hit with the same body)', async () => {
      const q = fresh();
      const before = ai.calls.chat;
      const first = await chat(q);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      const a = (await first.json()) as Completion;
      await sleep(30);
      const second = await chat(q);
      assert.equal(second.status, 200);
      assert.equal(second.headers.get('x-aihub-cache'), 'hit');
      assert.match(second.headers.get('content-type') ?? '', /^application\/json/);
      assert.ok(Number(second.headers.get('age')) >= 0);
      assert.deepEqual((await second.json()) as Completion, a);
      assert.equal(ai.calls.chat - before, 1, 'one upstream call');
    });

    it('ignores fields that do not change the answer (user, stream, metadata) and key order', async () => {
      const q = fresh();
      await (await chat(q, { body: { user: 'alice', max_tokens: 50 } })).arrayBuffer();
      await sleep(30);
      const res = await gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: headers(),
        body: JSON.stringify({
          max_tokens: 50,
          temperature: 0,
          user: 'bob',
          metadata: { a: '1' },
          messages: [{ content: q, role: 'user' }],
          model: 'gpt-test',
          n: 1,
        }),
      });
      assert.equal(res.headers.get('x-aihub-cache'), 'hit');
      await res.arrayBuffer();
      const other = await chat(q, { body: { max_tokens: 51 } });
      assert.equal(other.headers.get('x-aihub-cache'), 'miss', 'max_tokens changes the answer');
      await other.arrayBuffer();
    });

    it('bypasses non-deterministic requests by default', async () => {
      const q = fresh();
      const before = ai.calls.chat;
      for (const body of [{ temperature: 0.7 }, { temperature: undefined, seed: 42 }]) {
        for (let i = 0; i < 2; i++) {
          const res = await chat(q, { body });
          assert.equal(res.headers.get('x-aihub-cache'), 'bypass');
          await res.arrayBuffer();
        }
      }
      assert.equal(ai.calls.chat - before, 4);
    });

    it('never shares entries between tenants', async () => {
      const q = fresh();
      const before = ai.calls.chat;
      await (await chat(q, { tenant: 'tenant-a' })).arrayBuffer();
      await sleep(30);
      const b = await chat(q, { tenant: 'tenant-b' });
      assert.equal(b.headers.get('x-aihub-cache'), 'miss');
      await b.arrayBuffer();
      await sleep(30);
      assert.equal((await chat(q, { tenant: 'tenant-a' })).headers.get('x-aihub-cache'), 'hit');
      assert.equal((await chat(q, { tenant: 'tenant-b' })).headers.get('x-aihub-cache'), 'hit');
      assert.equal(ai.calls.chat - before, 2);
    });

    it('replays a cached answer as an OpenAI SSE stream, with the usage chunk only when asked for', async () => {
      const q = fresh();
      const json = (await (await chat(q)).json()) as Completion;
      await sleep(30);
      const res = await chat(q, { body: { stream: true, stream_options: { include_usage: true } } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-aihub-cache'), 'hit');
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const events = await readSse(res);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1) as Chunk[];
      for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
      const text = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
      assert.equal(text, json.choices[0].message.content);
      assert.equal(chunks[0].choices[0].delta.role, 'assistant');
      assert.equal(chunks.flatMap((c) => c.choices).at(-1)?.finish_reason, 'stop');
      const last = chunks.at(-1)!;
      assert.deepEqual(last.choices, []);
      assert.equal(last.usage?.total_tokens, json.usage.total_tokens);
      assert.ok(
        chunks.slice(0, -1).every((c) => c.usage === null),
        'usage: null on the other chunks, as OpenAI sends',
      );

      const plain = await readSse(await chat(q, { body: { stream: true } }));
      assert.ok((plain.slice(0, -1) as Chunk[]).every((c) => c.usage === undefined && c.choices.length === 1));
    });

    it('captures a streamed miss (tee) and serves it to a later non-streaming request', async () => {
      const q = fresh();
      const before = ai.calls.chat;
      const first = await chat(q, { body: { stream: true } });
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      const events = await readSse(first);
      const streamed = (events.slice(0, -1) as Chunk[])
        .flatMap((c) => c.choices.map((x) => x.delta.content ?? ''))
        .join('');
      assert.equal(streamed, `echo: ${q}`);
      await eventually(() => true);
      await sleep(50);
      const second = await chat(q);
      assert.equal(second.headers.get('x-aihub-cache'), 'hit');
      const body = (await second.json()) as Completion;
      assert.equal(body.choices[0].message.content, `echo: ${q}`);
      assert.equal(body.choices[0].finish_reason, 'stop');
      // The client did not ask for the usage chunk; the entry still has the usage the upstream reported.
      assert.equal(body.usage.completion_tokens, 7);
      assert.equal(ai.calls.chat - before, 1);
    });

    it('does not cache a stream that broke midway', async () => {
      const q = fresh();
      const broken = await chat(q, { body: { stream: true }, headers: { 'x-test-fail-stream': '1' } });
      await broken.text().catch(() => '');
      await sleep(50);
      const next = await chat(q);
      assert.equal(next.headers.get('x-aihub-cache'), 'miss');
      await next.arrayBuffer();
    });

    it('honours Cache-Control: no-store (no read, no write) and no-cache (write only)', async () => {
      const q = fresh();
      await (await chat(q)).arrayBuffer();
      await sleep(30);
      const noStore = await chat(q, { headers: { 'cache-control': 'no-store' } });
      assert.equal(noStore.headers.get('x-aihub-cache'), 'bypass');
      await noStore.arrayBuffer();

      const q2 = fresh();
      await (await chat(q2, { headers: { 'cache-control': 'no-store' } })).arrayBuffer();
      await sleep(30);
      const after = await chat(q2);
      assert.equal(after.headers.get('x-aihub-cache'), 'miss', 'a no-store response was not written');
      await after.arrayBuffer();

      const q3 = fresh();
      await (await chat(q3)).arrayBuffer();
      await sleep(30);
      const refresh = await chat(q3, { headers: { 'cache-control': 'max-age=0, no-cache' } });
      assert.equal(refresh.headers.get('x-aihub-cache'), 'miss', 'no-cache does not read');
      await refresh.arrayBuffer();
    });

    it('lets the caller bypass or force the cache with x-aihub-cache', async () => {
      const q = fresh();
      await (await chat(q)).arrayBuffer();
      await sleep(30);
      const bypass = await chat(q, { headers: { 'x-aihub-cache': 'bypass' } });
      assert.equal(bypass.headers.get('x-aihub-cache'), 'bypass');
      await bypass.arrayBuffer();
      const warm = fresh();
      const forced = await chat(warm, { body: { temperature: 1 }, headers: { 'x-aihub-cache': 'force' } });
      assert.equal(forced.headers.get('x-aihub-cache'), 'miss');
      await forced.arrayBuffer();
      await sleep(30);
      const again = await chat(warm, { body: { temperature: 1 }, headers: { 'x-aihub-cache': 'force' } });
      assert.equal(again.headers.get('x-aihub-cache'), 'hit');
      await again.arrayBuffer();
    });

    it('follows tenant settings: enabled caches everything, disabled caches nothing', async () => {
      const q = fresh();
      const on = { 'x-test-tenant-cache': JSON.stringify({ enabled: true }) };
      await (await chat(q, { tenant: 'opt-in', headers: on, body: { temperature: 0.9 } })).arrayBuffer();
      await sleep(30);
      assert.equal(
        (await chat(q, { tenant: 'opt-in', headers: on, body: { temperature: 0.9 } })).headers.get('x-aihub-cache'),
        'hit',
      );
      const off = { 'x-test-tenant-cache': JSON.stringify({ enabled: false }) };
      assert.equal(
        (await chat(q, { tenant: 'opt-out', headers: { ...off, 'x-aihub-cache': 'force' } })).headers.get(
          'x-aihub-cache',
        ),
        'bypass',
      );
    });

    it('expires entries after the TTL of their model', async () => {
      const q = fresh();
      await (await chat(q, { body: { model: 'short-model' } })).arrayBuffer();
      await sleep(30);
      assert.equal((await chat(q, { body: { model: 'short-model' } })).headers.get('x-aihub-cache'), 'hit');
      await sleep(1100);
      assert.equal((await chat(q, { body: { model: 'short-model' } })).headers.get('x-aihub-cache'), 'miss');
    });

    it('caches embeddings', async () => {
      const input = [fresh('emb'), 'second'];
      const before = ai.calls.embeddings;
      const call = () =>
        gw.fetch('/v1/embeddings', {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ model: 'emb-test', input }),
        });
      const a = await call();
      assert.equal(a.headers.get('x-aihub-cache'), 'miss');
      const ja = await a.json();
      await sleep(30);
      const b = await call();
      assert.equal(b.headers.get('x-aihub-cache'), 'hit');
      assert.deepEqual(await b.json(), ja);
      assert.equal(ai.calls.embeddings - before, 1);
    });

    it('makes one upstream call for 100 concurrent identical misses (single-flight)', async () => {
      const q = fresh('stampede');
      const before = ai.calls.chat;
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          chat(q, { headers: { 'x-test-delay-ms': '200' }, body: i % 2 ? { stream: true } : {} }),
        ),
      );
      const states = responses.map((r) => r.headers.get('x-aihub-cache'));
      for (const r of responses) assert.equal(r.status, 200);
      assert.equal(ai.calls.chat - before, 1, 'exactly one upstream call');
      assert.equal(states.filter((s) => s === 'miss').length, 1);
      assert.equal(states.filter((s) => s === 'hit').length, 99);
      const texts = await Promise.all(
        responses.map(async (r, i) =>
          i % 2
            ? ((await readSse(r)).slice(0, -1) as Chunk[])
                .flatMap((c) => c.choices.map((x) => x.delta.content ?? ''))
                .join('')
            : ((await r.json()) as Completion).choices[0].message.content,
        ),
      );
      assert.ok(texts.every((t) => t === `echo: ${q}`));
    });

    it('marks hits on AiCallKey and publishes a usage record (cacheHit, provider cache, no cost)', async () => {
      const q = fresh();
      await (await chat(q)).arrayBuffer();
      await sleep(30);
      const hit = await chat(q, { body: { stream: true } });
      const requestId = hit.headers.get('x-request-id')!;
      await hit.arrayBuffer();
      await eventually(() => sink.calls.has(requestId));
      const call = sink.calls.get(requestId)!;
      assert.equal(call.cacheHit, true);
      assert.equal(call.provider, 'cache');
      assert.equal(call.costMicros, 0);
      assert.equal(call.usage?.completionTokens, 7);
      await eventually(() => sink.records.some((r) => r.requestId === requestId), 10_000);
      const record = sink.records.find((r) => r.requestId === requestId)!;
      assert.equal(record.cacheHit, true);
      assert.equal(record.provider, 'cache');
      assert.equal(record.costMicros, 0);
      assert.equal(record.priced, true);
      assert.equal(record.stream, true);
      assert.equal(record.tenantId, 'acme');
      assert.equal(record.keyId, 'k1');
      assert.equal(record.endpoint, 'chat.completions');
      assert.equal(record.model, 'gpt-test');
      assert.equal(record.resolvedModel, 'gpt-test-2024');
      assert.equal(record.completionTokens, 7);
      assert.equal(record.status, 'success');
    });

    it('purges a tenant (or one model of it) through the admin API, authorized and audited', async () => {
      const q = fresh();
      const admin = { 'x-test-role': 'admin' };
      for (const id of ['purge-t', 'keep-t'])
        identity.tenants.set(id, { id, slug: id, name: id, status: 'active', plan: 'free', settings: {} });
      await (await chat(q, { tenant: 'purge-t' })).arrayBuffer();
      await (await chat(q, { tenant: 'purge-t', body: { model: 'other-model' } })).arrayBuffer();
      await (await chat(q, { tenant: 'keep-t' })).arrayBuffer();
      await sleep(50);
      const purge = (query: string, extra: Record<string, string> = admin, tenant = 'purge-t') =>
        gw.fetch(`/admin/v1/tenants/${tenant}/cache${query}`, { method: 'DELETE', headers: headers(tenant, extra) });
      assert.equal(await purge('', admin, 'keep-t').then((r) => r.status), 200);
      await (await chat(q, { tenant: 'keep-t' })).arrayBuffer();
      await sleep(50);

      assert.equal((await purge('', { 'x-test-role': 'developer' })).status, 403);
      assert.equal(
        (await gw.fetch('/admin/v1/tenants/keep-t/cache', { method: 'DELETE', headers: headers('purge-t', admin) }))
          .status,
        404,
      );
      const one = await purge('?model=other-model');
      assert.equal(one.status, 200);
      const body = (await one.json()) as { tenantId: string; model: string; removed: number };
      assert.deepEqual([body.tenantId, body.model], ['purge-t', 'other-model']);
      assert.ok(body.removed >= 1);
      assert.equal((await chat(q, { tenant: 'purge-t' })).headers.get('x-aihub-cache'), 'hit', 'the other model stays');
      assert.equal(
        (await chat(q, { tenant: 'purge-t', body: { model: 'other-model' } })).headers.get('x-aihub-cache'),
        'miss',
      );
      await sleep(50);
      assert.equal((await purge('')).status, 200);
      assert.equal((await chat(q, { tenant: 'purge-t' })).headers.get('x-aihub-cache'), 'miss');
      assert.equal(
        (await chat(q, { tenant: 'keep-t' })).headers.get('x-aihub-cache'),
        'hit',
        'other tenants keep theirs',
      );
      const audit = identity.audit.filter((e) => e.tenantId === 'purge-t' && e.action === 'cache.purge');
      assert.deepEqual(
        audit.map((e) => e.targetId),
        ['other-model', null],
      );
    });

    it("reports a tenant's hits and misses by layer, entries and bytes (counts flushed to the shared counters once)", async () => {
      type Stats = {
        lookups: number;
        hits: number;
        hit_ratio: number | null;
        l1: { hits: number; misses: number; entries: number; bytes: number };
        l2: { enabled: boolean; hits: number; misses: number; entries: number; bytes: number };
      };
      const admin = { 'x-test-role': 'viewer' };
      for (const id of ['stats-t', 'stats-o'])
        identity.tenants.set(id, { id, slug: id, name: id, status: 'active', plan: 'free', settings: {} });
      const get = async (tenant: string, extra: Record<string, string> = admin) =>
        gw.fetch(`/admin/v1/tenants/${tenant}/cache`, { headers: headers(tenant, extra) });
      const empty = (await (await get('stats-t')).json()) as Stats;
      assert.deepEqual([empty.lookups, empty.hits, empty.hit_ratio, empty.l1.entries], [0, 0, null, 0]);
      const q = fresh();
      await (await chat(q, { tenant: 'stats-t' })).arrayBuffer();
      await sleep(50);
      for (let i = 0; i < 3; i++)
        assert.equal((await chat(q, { tenant: 'stats-t' })).headers.get('x-aihub-cache'), 'hit');
      // Past a few flushes: each count reaches the shared counters exactly once.
      await sleep(700);
      const res = await get('stats-t');
      assert.equal(res.status, 200, await res.clone().text());
      const s = (await res.json()) as Stats;
      assert.equal(s.lookups, 4);
      assert.equal(s.hits, 3);
      assert.equal(s.hit_ratio, 0.75);
      assert.deepEqual([s.l1.hits, s.l1.misses, s.l1.entries], [3, 1, 1]);
      assert.ok(s.l1.bytes > 0);
      if (backendName === 'postgres+redis') {
        assert.deepEqual([s.l2.enabled, s.l2.hits, s.l2.misses, s.l2.entries], [true, 0, 1, 1]);
        assert.ok(s.l2.bytes > 0);
      }
      // Other tenants see none of it; only callers who may read the tenant's usage see it at all.
      const other = (await (await get('stats-o')).json()) as Stats;
      assert.deepEqual([other.lookups, other.l1.entries, other.l2.entries], [0, 0, 0]);
      assert.equal(
        (await gw.fetch('/admin/v1/tenants/stats-t/cache', { headers: headers('stats-o', admin) })).status,
        404,
      );
      assert.equal((await gw.fetch('/admin/v1/tenants/stats-t/cache')).status, 401);
      // After a purge the entries are gone (the counts stay: they are history).
      assert.equal(
        (
          await gw.fetch('/admin/v1/tenants/stats-t/cache', {
            method: 'DELETE',
            headers: headers('stats-t', { 'x-test-role': 'admin' }),
          })
        ).status,
        200,
      );
      const purged = (await (await get('stats-t')).json()) as Stats;
      assert.deepEqual([purged.l1.entries, purged.l2.entries, purged.lookups], [0, 0, 4]);
    });

    it('exports hits, misses, bypasses, bytes and stores per layer', async () => {
      const text = await (await gw.fetch('/metrics')).text();
      assert.match(text, /aihub_cache_requests_total\{layer="l1",result="hit"\} [1-9]/);
      assert.match(text, /aihub_cache_requests_total\{layer="l1",result="miss"\} [1-9]/);
      assert.match(text, /aihub_cache_requests_total\{layer="l1",result="bypass"\} [1-9]/);
      assert.match(text, /aihub_cache_bytes\{layer="l1"\} [1-9]/);
      assert.match(text, /aihub_cache_stores_total\{layer="l1"\} [1-9]/);
      if (backendName === 'postgres+redis') {
        assert.match(text, /aihub_cache_requests_total\{layer="l2",result="miss"\} [1-9]/);
        assert.match(text, /aihub_cache_stores_total\{layer="l2"\} [1-9]/);
        assert.match(text, /aihub_cache_bytes\{layer="l2"\} [1-9]/);
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('cache with the shared layer on the in-memory store (l2: on)', () => {
  let gw: TestGateway;
  const identity = identityPlugin();
  const ai = fakeAiPlugin();
  identity.tenants.set('mem', { id: 'mem', slug: 'mem', name: 'mem', status: 'active', plan: 'free', settings: {} });
  const chat = (q: string) =>
    gw.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-tenant': 'mem', 'x-test-key': 'k' },
      body: JSON.stringify({ model: 'm', temperature: 0, messages: [{ role: 'user', content: q }] }),
    });
  before(async () => {
    gw = await startTestGateway({
      plugins: [identity.plugin, ai.plugin, cache],
      pluginConfig: { cache: { l2: 'on', l1: { maxEntries: 1 } } },
    });
  });
  after(() => gw?.stop());

  it('serves from L2 what L1 evicted, and purges L2 through the tenant index', async () => {
    await (await chat('one')).arrayBuffer();
    await (await chat('two')).arrayBuffer();
    await sleep(30);
    const before = ai.calls.chat;
    const res = await chat('one');
    assert.equal(res.headers.get('x-aihub-cache'), 'hit');
    await res.arrayBuffer();
    assert.equal(ai.calls.chat, before);
    const metrics = await (await gw.fetch('/metrics')).text();
    assert.match(metrics, /aihub_cache_requests_total\{layer="l2",result="hit"\} 1/);
    assert.match(metrics, /aihub_cache_evictions_total\{layer="l1",reason="evict"\} [1-9]/);
    const purge = await gw.fetch('/admin/v1/tenants/mem/cache', {
      method: 'DELETE',
      headers: { 'x-test-tenant': 'mem', 'x-test-key': 'k', 'x-test-role': 'admin' },
    });
    assert.equal(((await purge.json()) as { removed: number }).removed, 2);
    assert.equal((await chat('two')).headers.get('x-aihub-cache'), 'miss');
  });
});
