import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { completionText } from '../../../bench/src/mock-upstream/content';
import { MOCK_KEY, postJson, startStack, type Backend, type Stack } from './harness';

const lookupTool = {
  type: 'function' as const,
  function: {
    name: 'lookup',
    description: 'Look something up',
    parameters: { type: 'object', properties: { query: { type: 'string' } } },
  },
};

/** Provider adapters against the mock upstream: Anthropic translation both ways, Azure URL shape, Ollama, the in-process mock. */
export function providersSuite(backend: Backend): void {
  describe(`provider adapters (${backend})`, () => {
    let stack: Stack;
    let client: OpenAI;
    before(async () => {
      stack = await startStack({
        backend,
        mock: { record: 100 },
        ai: (mock) => ({
          requireAuth: false,
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
          providers: {
            claude: { type: 'anthropic', baseUrl: mock.url, apiKey: MOCK_KEY },
            az: { type: 'azure-openai', baseUrl: mock.url, apiKey: MOCK_KEY, apiVersion: '2024-10-21' },
            local: { type: 'ollama', baseUrl: `${mock.url}/v1`, apiKey: MOCK_KEY },
            'local-nokey': { type: 'ollama', baseUrl: `${mock.url}/v1` },
            demo: { type: 'mock', mock: { completionTokens: 5 } },
            flaky: { type: 'mock', mock: { failureRate: 1 } },
          },
          models: {
            claude: { deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
            'azure-gpt': { deployments: [{ provider: 'az', model: 'my-gpt-deployment' }] },
            'azure-embed': { deployments: [{ provider: 'az', model: 'my-embedding-deployment' }] },
            llama: { deployments: [{ provider: 'local', model: 'llama3.2' }] },
            'llama-nokey': { deployments: [{ provider: 'local-nokey', model: 'llama3.2' }] },
            demo: { deployments: [{ provider: 'demo', model: 'gpt-4o-mini' }] },
            flaky: { deployments: [{ provider: 'flaky', model: 'gpt-4o-mini' }] },
          },
        }),
      });
      client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    });
    after(() => stack.stop());

    const last = () => stack.mock.requests.at(-1)!;

    it('anthropic: translates system prompt, messages and defaults, and the answer back', async () => {
      const { data, response } = await client.chat.completions
        .create({
          model: 'claude',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hi' },
          ],
          temperature: 1.5,
          stop: 'END',
          user: 'u-1',
        })
        .withResponse();
      const sent = last();
      assert.equal(sent.url, '/v1/messages');
      assert.equal(sent.headers['x-api-key'], MOCK_KEY);
      assert.equal(sent.headers['anthropic-version'], '2023-06-01');
      assert.equal(sent.headers.authorization, undefined);
      const body = sent.body as Record<string, unknown>;
      assert.equal(body.model, 'claude-3-5-haiku-latest');
      assert.equal(body.system, 'Be brief.');
      assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
      assert.equal(body.max_tokens, 4096);
      assert.equal(body.temperature, 1);
      assert.deepEqual(body.stop_sequences, ['END']);
      assert.deepEqual(body.metadata, { user_id: 'u-1' });
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.choices[0].message.content, completionText(8));
      assert.equal(data.choices[0].finish_reason, 'stop');
      assert.equal(data.usage?.completion_tokens, 8);
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.provider, 'claude');
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.estimated, false);
      assert.ok(rec.priced && rec.costMicros! > 0, 'claude-3-5-haiku has a built-in price');
    });

    it('anthropic: max_tokens stop reason becomes finish_reason length', async () => {
      const data = await client.chat.completions.create({
        model: 'claude',
        max_tokens: 3,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(data.choices[0].finish_reason, 'length');
      assert.equal((last().body as { max_tokens: number }).max_tokens, 3);
    });

    it('anthropic: tools and tool_choice out, tool_use back as tool_calls, tool results in', async () => {
      const data = await client.chat.completions.create({
        model: 'claude',
        tools: [lookupTool],
        tool_choice: 'required',
        parallel_tool_calls: false,
        messages: [{ role: 'user', content: 'Find it' }],
      });
      const sent = last().body as Record<string, unknown>;
      assert.deepEqual(sent.tools, [
        { name: 'lookup', description: 'Look something up', input_schema: lookupTool.function.parameters },
      ]);
      assert.deepEqual(sent.tool_choice, { type: 'any', disable_parallel_tool_use: true });
      const call = data.choices[0].message.tool_calls![0];
      assert.equal(data.choices[0].finish_reason, 'tool_calls');
      assert.equal(data.choices[0].message.content, null);
      assert.equal(call.type, 'function');
      assert.ok(
        call.type === 'function' && call.function.name === 'lookup' && call.function.arguments === '{"query":"mock"}',
      );
      assert.match(call.id, /^toolu_mock_/);

      await client.chat.completions.create({
        model: 'claude',
        tools: [lookupTool],
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        messages: [
          { role: 'user', content: 'Find it' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: call.id, type: 'function', function: { name: 'lookup', arguments: '{"query":"mock"}' } },
            ],
          },
          { role: 'tool', tool_call_id: call.id, content: '42' },
        ],
      });
      const again = last().body as { messages: unknown[]; tool_choice: unknown };
      assert.deepEqual(again.tool_choice, { type: 'tool', name: 'lookup' });
      assert.deepEqual(again.messages, [
        { role: 'user', content: [{ type: 'text', text: 'Find it' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'lookup', input: { query: 'mock' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '42' }] },
      ]);
    });

    it('anthropic: streams text as OpenAI chunks with usage when asked', async () => {
      const stream = await client.chat.completions.create({
        model: 'claude',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Hi' }],
      });
      let text = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, completionText(8));
      assert.equal(finish, 'stop');
      assert.equal(usage?.completion_tokens, 8);
      assert.equal((last().body as { stream: boolean }).stream, true);
    });

    it('anthropic: streams tool calls (id and name, then argument fragments)', async () => {
      const res = await postJson(stack, '/v1/chat/completions', {
        model: 'claude',
        stream: true,
        tools: [lookupTool],
        messages: [{ role: 'user', content: 'Find it' }],
      });
      const chunks = (await res.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => JSON.parse(e.slice(6)) as OpenAI.ChatCompletionChunk);
      let args = '';
      let id: string | undefined;
      let name: string | undefined;
      let finish: string | null = null;
      for (const c of chunks) {
        for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
          assert.equal(tc.index, 0);
          id ??= tc.id;
          name ??= tc.function?.name;
          args += tc.function?.arguments ?? '';
        }
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      assert.match(id!, /^toolu_mock_/);
      assert.equal(name, 'lookup');
      assert.equal(args, '{"query":"mock"}');
      assert.equal(finish, 'tool_calls');
      assert.ok(
        chunks.every((c) => c.choices.length === 1),
        'no usage chunk unless asked',
      );
      const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.status, 'success');
      assert.equal(rec.completionTokens, 8);
    });

    it('anthropic: refuses embeddings, maps its errors', async () => {
      await assert.rejects(
        client.embeddings.create({ model: 'claude', input: 'x' }),
        (err: unknown) => err instanceof OpenAI.BadRequestError && err.code === 'unsupported_operation',
      );
      stack.mock.setFailure({ status: 529, times: 2, match: { path: '/v1/messages' } });
      await assert.rejects(
        client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => err instanceof OpenAI.InternalServerError && err.status === 502,
      );
      await assert.rejects(
        client.chat.completions.create({
          model: 'claude',
          messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }],
        }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.BadRequestError);
          assert.equal(err.param, 'messages[0].content[0].type');
          return true;
        },
      );
    });

    it('azure-openai: deployment URL, api-version and api-key header', async () => {
      const data = await client.chat.completions.create({
        model: 'azure-gpt',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      const sent = last();
      assert.equal(sent.url, '/openai/deployments/my-gpt-deployment/chat/completions?api-version=2024-10-21');
      assert.equal(sent.headers['api-key'], MOCK_KEY);
      assert.equal(sent.headers.authorization, undefined);
      assert.equal(data.model, 'my-gpt-deployment');
      const stream = await client.chat.completions.create({
        model: 'azure-gpt',
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, completionText(8));
      const emb = await client.embeddings.create({ model: 'azure-embed', input: 'x' });
      assert.equal(emb.data[0].embedding.length, 8);
      assert.equal(last().url, '/openai/deployments/my-embedding-deployment/embeddings?api-version=2024-10-21');
    });

    it('ollama: OpenAI-compatible /v1; a rejected key becomes a 502 without the provider message', async () => {
      const data = await client.chat.completions.create({
        model: 'llama',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(data.choices[0].message.content, completionText(8));
      await assert.rejects(
        client.chat.completions.create({ model: 'llama-nokey', messages: [{ role: 'user', content: 'Hi' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.InternalServerError);
          assert.equal(err.status, 502);
          assert.equal(err.code, 'upstream_auth_failed');
          assert.doesNotMatch(err.message, /sk-|\*\*\*|platform\.openai\.com/);
          return true;
        },
      );
    });

    it('mock provider: answers in-process, streams, embeds; failureRate fails deterministically', async () => {
      const before = stack.mock.stats.received;
      const data = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(data.choices[0].message.content, 'Hello from the mock provider');
      assert.equal(data.usage?.completion_tokens, 5);
      const stream = await client.chat.completions.create({
        model: 'demo',
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      assert.equal(text, 'Hello from the mock provider');
      const emb = await client.embeddings.create({ model: 'demo', input: ['a', 'b'] });
      assert.equal(emb.data[1].embedding.length, 16);
      assert.equal(stack.mock.stats.received, before, 'no network call');
      await assert.rejects(
        client.chat.completions.create({ model: 'flaky', messages: [{ role: 'user', content: 'Hi' }] }),
        (err: unknown) => err instanceof OpenAI.InternalServerError,
      );
    });
  });

  describe(`embedded default config (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ backend, aiRaw: { requireAuth: false } });
    });
    after(() => stack.stop());

    it('answers chat, streams and embeddings from the built-in mock with no configuration', async () => {
      const client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
      const models = (await client.models.list()).data.map((m) => m.id);
      assert.deepEqual(models, ['gpt-4o-mini', 'text-embedding-3-small']);
      const data = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      assert.equal(data.usage?.completion_tokens, 16);
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      let n = 0;
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) n++;
      assert.equal(n, 16);
      const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
      assert.equal(emb.data[0].embedding.length, 16);
    });
  });
}
