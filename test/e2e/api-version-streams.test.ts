/**
 * API version changes on streamed and cached answers, with the real ai and cache plugins and the
 * real mock upstream (bench/src/mock-upstream): a caller at the older version gets each SSE event
 * and each cache hit (JSON or stream replay) downgraded, while the cache keeps the current
 * version's answer for everyone else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_VERSIONS, definePlugin, type PluginDefinition, type VersionChange } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  identityPlugin,
  startTestGateway,
  type Backend,
  type BackendKind,
  type TestGateway,
} from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import cache from '@aihub/plugin-cache';
import { startMockUpstream, type MockUpstream } from '../../bench/src/mock-upstream/server';

const [OLD, CURRENT] = API_VERSIONS;
const KEY = 'sk-mock-upstream-key-0123456789';

interface Chunk {
  object: string;
  legacy?: boolean;
  choices: { delta: { content?: string } }[];
  usage?: unknown;
}

/**
 * A test-only change on chat completions: at the older version answers carried `legacy: true`, and
 * streams had no usage chunk (the chunk with empty `choices`).
 */
const chatChange: VersionChange = {
  version: CURRENT,
  description: 'Test: chat answers lose `legacy`; streams end with a usage chunk.',
  appliesTo: (r) => r.method === 'POST' && r.path === '/v1/chat/completions',
  downgradeResponse: (body) => ({ ...(body as object), legacy: true }),
  downgradeEvent: (event) => {
    const e = event as Chunk;
    if (Array.isArray(e.choices) && e.choices.length === 0) return null;
    return { ...e, legacy: true };
  },
};

const legacyChat = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'legacy-chat',
  version: '1.0.0',
  core: '*',
  versionChanges: [chatChange],
});

/** The JSON `data:` events of an SSE body, and whether it ended with `[DONE]`. */
async function readEvents(res: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const data = (await res.text())
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6));
  return {
    done: data.at(-1) === '[DONE]',
    chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as Chunk),
  };
}

const text = (chunks: Chunk[]) => chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`API version downgrades of streamed and cached chat answers (${kind})`, () => {
    let backend: Backend;
    let mock: MockUpstream;
    let gw: TestGateway;
    let seq = 0;
    const caller = asCaller({ tenant: 'tv', key: 'k-version' });
    const chat = (q: string, version?: string, stream = false) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { ...caller, 'content-type': 'application/json', ...(version ? { 'AIHub-Version': version } : {}) },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: q }],
          temperature: 0,
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
      });
    const fresh = () => `version question ${++seq} at ${Date.now()}`;

    before(async () => {
      backend = await createBackend(kind);
      mock = await startMockUpstream({ apiKey: KEY, completionTokens: 12, latencyMs: 5 });
      gw = await startTestGateway({
        plugins: [identityPlugin(), ai as PluginDefinition, cache as PluginDefinition, legacyChat],
        config: backend.config,
        pluginConfig: {
          ai: {
            providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
            models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
          },
        },
      });
    });
    after(async () => {
      await gw?.stop();
      await mock?.close();
      await backend?.cleanup();
    });

    it('streams the current version as sent, and each event downgraded at the older version', async () => {
      const now = await chat(fresh(), undefined, true);
      assert.equal(now.status, 200);
      assert.equal(now.headers.get('aihub-version'), CURRENT);
      const current = await readEvents(now);
      assert.ok(current.done);
      assert.ok(current.chunks.every((c) => c.legacy === undefined));
      assert.equal(current.chunks.at(-1)?.choices.length, 0, 'the current stream ends with its usage chunk');

      const q = fresh();
      const oldRes = await chat(q, OLD, true);
      assert.equal(oldRes.status, 200);
      assert.equal(oldRes.headers.get('aihub-version'), OLD);
      assert.equal(oldRes.headers.get('x-aihub-cache'), 'miss');
      const old = await readEvents(oldRes);
      assert.ok(old.done, 'non-JSON events ([DONE]) pass untouched');
      assert.ok(old.chunks.length > 1);
      assert.ok(old.chunks.every((c) => c.legacy === true && c.choices.length > 0));
      assert.ok(text(old.chunks).length > 0);

      // The cache captured the current version's stream: a current caller's hit has no trace of the old shape.
      const before = mock.stats.received;
      const hit = await waitForHit(() => chat(q));
      const body = (await hit.json()) as { legacy?: boolean; choices: { message: { content: string } }[] };
      assert.equal(body.legacy, undefined);
      assert.equal(body.choices[0].message.content, text(old.chunks));
      assert.equal(mock.stats.received, before);
    });

    it('downgrades cache hits at the older version, JSON and stream replays alike', async () => {
      const q = fresh();
      const first = await chat(q);
      assert.equal(first.headers.get('x-aihub-cache'), 'miss');
      const answer = (await first.json()) as { legacy?: boolean; choices: { message: { content: string } }[] };
      assert.equal(answer.legacy, undefined);
      const before = mock.stats.received;

      const json = await waitForHit(() => chat(q, OLD));
      assert.equal(json.headers.get('aihub-version'), OLD);
      assert.ok(json.headers.get('deprecation'));
      const old = (await json.json()) as { legacy?: boolean; choices: { message: { content: string } }[] };
      assert.equal(old.legacy, true);
      assert.equal(old.choices[0].message.content, answer.choices[0].message.content);

      const replay = await chat(q, OLD, true);
      assert.equal(replay.headers.get('x-aihub-cache'), 'hit');
      const events = await readEvents(replay);
      assert.ok(events.done);
      assert.ok(events.chunks.every((c) => c.legacy === true && c.choices.length > 0));
      assert.equal(text(events.chunks), answer.choices[0].message.content);

      const currentReplay = await readEvents(await chat(q, CURRENT, true));
      assert.equal(currentReplay.chunks.at(-1)?.choices.length, 0);
      assert.ok(currentReplay.chunks.every((c) => c.legacy === undefined));
      assert.equal(mock.stats.received, before, 'every answer after the first came from the cache');
    });
  });
}

/** The cache stores after the answer is sent: ask again until the answer is a hit. */
async function waitForHit(ask: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 50; i++) {
    const res = await ask();
    if (res.headers.get('x-aihub-cache') === 'hit') return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error('no cache hit after 2 s');
}
