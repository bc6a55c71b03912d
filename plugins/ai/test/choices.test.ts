/**
 * `n` (issue 14 item 8): n choices from providers that support it (OpenAI-compatible upstreams and
 * the in-process mock), streamed too; a clear 400 on `n` from a provider that cannot (Anthropic).
 * It used to return one choice silently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { MOCK_KEY, startStack, type Stack } from './harness';

describe('n choices', () => {
  let stack: Stack;
  let client: OpenAI;
  before(async () => {
    stack = await startStack({
      backend: 'embedded',
      ai: (mock) => ({
        requireAuth: false,
        providers: {
          up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: MOCK_KEY },
          claude: { type: 'anthropic', baseUrl: mock.url, apiKey: MOCK_KEY },
          demo: { type: 'mock', mock: { completionTokens: 4 } },
        },
        models: {
          'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
          claude: { deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
          demo: { deployments: [{ provider: 'demo', model: 'demo' }] },
        },
      }),
    });
    client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
  });
  after(() => stack.stop());

  for (const model of ['gpt-4o-mini', 'demo']) {
    it(`${model}: n: 3 answers three choices, usage counts them all`, async () => {
      const one = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 4,
      });
      const three = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 4,
        n: 3,
      });
      assert.deepEqual(
        three.choices.map((c) => c.index),
        [0, 1, 2],
      );
      assert.ok(three.choices.every((c) => c.message.content === one.choices[0].message.content && c.finish_reason));
      assert.equal(three.usage?.completion_tokens, 3 * one.usage!.completion_tokens);
    });

    it(`${model}: n: 2 streams both choices to their finish, with usage`, async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 4,
        n: 2,
        stream: true,
        stream_options: { include_usage: true },
      });
      const text = ['', ''];
      const finish: (string | null)[] = [null, null];
      let completion = 0;
      for await (const chunk of stream) {
        for (const c of chunk.choices) {
          text[c.index] += c.delta.content ?? '';
          if (c.finish_reason) finish[c.index] = c.finish_reason;
        }
        if (chunk.usage) completion = chunk.usage.completion_tokens;
      }
      assert.ok(text[0].length > 0);
      assert.equal(text[1], text[0]);
      assert.ok(
        finish.every((f) => f !== null),
        `both choices finished: ${finish.join(', ')}`,
      );
      assert.equal(completion, 8);
    });
  }

  it('anthropic: n > 1 is a 400 on param n saying what to do (never one choice silently)', async () => {
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], n: 2 }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { param: string; code: string; message: string } };
    assert.equal(body.error.param, 'n');
    assert.match(body.error.message, /Anthropic.*one request per choice/);
  });
});
