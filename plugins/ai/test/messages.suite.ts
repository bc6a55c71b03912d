import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { completionText } from '../../../bench/src/mock-upstream/content';
import { TOOL_ARGUMENTS } from '../../../bench/src/mock-upstream/openai';
import { messagesToChat } from '../src/messages/toChat';
import { estimatePromptTokens, loadTokenizer } from '../src/tokenCount';
import { MOCK_KEY, startStack, type Backend, type Stack } from './harness';

/** The Messages ingress suite on one storage backend (embedded SQLite + memory, or PostgreSQL + Redis). */
export function messagesSuite(backend: Backend): void {
  /**
   * The official @anthropic-ai/sdk against the gateway's POST /v1/messages, routed to an
   * OpenAI-compatible upstream (the mock, real HTTP): answers, streaming, tools, errors and usage.
   */
  describe(`Anthropic SDK → /v1/messages → OpenAI-compatible upstream (${backend})`, () => {
    let stack: Stack;
    let client: Anthropic;
    before(async () => {
      stack = await startStack({
        backend,
        ai: { requireAuth: false, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 } },
      });
      client = new Anthropic({ apiKey: 'unused-without-auth', baseURL: stack.url, maxRetries: 0 });
    });
    after(() => stack.stop());

    it('answers a message with text content, stop_reason and usage, and meters it as endpoint messages', async () => {
      const { data, response } = await client.messages
        // temperature is in the API (and in the SDK's docs) but not in this SDK build's param types.
        .create({
          model: 'gpt-4o-mini',
          max_tokens: 100,
          system: [{ type: 'text', text: 'Be brief.' }],
          messages: [{ role: 'user', content: 'Say hello' }],
          temperature: 0.5,
          stop_sequences: ['END'],
          metadata: { user_id: 'u-1' },
        } as Anthropic.MessageCreateParamsNonStreaming)
        .withResponse();
      assert.equal(data.type, 'message');
      assert.equal(data.role, 'assistant');
      assert.match(data.id, /^msg_/);
      assert.deepEqual(data.content, [{ type: 'text', text: completionText(8) }]);
      assert.equal(data.stop_reason, 'end_turn');
      assert.equal(data.usage.output_tokens, 8);
      assert.ok(data.usage.input_tokens > 0);
      const sent = stack.mock.requests.at(-1)!.body as Record<string, unknown>;
      assert.deepEqual(sent.messages, [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ]);
      assert.equal(sent.max_tokens, 100);
      assert.equal(sent.temperature, 0.5);
      assert.deepEqual(sent.stop, ['END']);
      assert.equal(sent.user, 'u-1');
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'messages');
      assert.equal(rec.status, 'success');
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.promptTokens, data.usage.input_tokens);
      assert.equal(rec.estimated, false);
      assert.ok(rec.costMicros !== null && rec.costMicros > 0);
    });

    it('maps finish_reason length to stop_reason max_tokens', async () => {
      const data = await client.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 3,
        messages: [{ role: 'user', content: 'long' }],
      });
      assert.equal(data.stop_reason, 'max_tokens');
      assert.equal(data.usage.output_tokens, 3);
    });

    it('streams typed events; the SDK’s final message equals the accumulated text and usage', async () => {
      const stream = client.messages.stream({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'Stream please' }],
      });
      const types: string[] = [];
      let text = '';
      stream.on('streamEvent', (e) => types.push(e.type));
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      // The SDK does not surface `ping` (it is on the wire: see the raw test below).
      assert.deepEqual(types.slice(0, 2), ['message_start', 'content_block_start']);
      assert.ok(types.includes('content_block_delta'));
      assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
      assert.equal(text, completionText(8));
      assert.equal(final.content.length, 1);
      assert.equal(final.content[0].type, 'text');
      assert.equal(final.content[0].type === 'text' && final.content[0].text, text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, 8);
      const rec = await stack.usage.waitFor(stream.request_id!);
      assert.equal(rec.endpoint, 'messages');
      assert.equal(rec.stream, true);
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.estimated, false);
    });

    it('speaks the SSE wire format: event names, ping, message_delta with usage', async () => {
      const res = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 50,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
      const events = (await res.text())
        .trim()
        .split('\n\n')
        .map((e) => {
          const [ev, data] = e.split('\n');
          return {
            name: ev.slice('event: '.length),
            data: JSON.parse(data.slice('data: '.length)) as {
              type: string;
              delta?: { stop_reason?: string };
              usage?: { output_tokens: number; input_tokens: number };
            },
          };
        });
      for (const e of events) assert.equal(e.name, e.data.type);
      assert.deepEqual(
        events.slice(0, 3).map((e) => e.name),
        ['message_start', 'ping', 'content_block_start'],
      );
      const delta = events.find((e) => e.name === 'message_delta')!;
      assert.equal(delta.data.delta?.stop_reason, 'end_turn');
      assert.equal(delta.data.usage?.output_tokens, 8);
      assert.ok(delta.data.usage!.input_tokens > 0);
      assert.equal(events.at(-1)!.name, 'message_stop');
    });

    it('an upstream error mid-stream reaches the SDK as an Anthropic `error` event (the stream then ends)', async () => {
      stack.mock.setFailure({ errorAfterChunks: 2, times: 1 });
      const stream = client.messages.stream({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'x' }],
      });
      let text = '';
      stream.on('text', (t) => (text += t));
      await assert.rejects(stream.finalMessage(), (e: unknown) => {
        assert.ok(e instanceof Anthropic.APIError, String(e));
        assert.match(String((e as Error).message), /server had an error/);
        return true;
      });
      assert.ok(text.length > 0, 'the text before the error was delivered');
    });

    it('aborts the upstream when the client leaves mid-stream, and records the usage as cancelled', async () => {
      const aborted = stack.mock.stats.aborted;
      stack.mock.setFailure({ chunkDelayMs: 100, times: 1 });
      const ac = new AbortController();
      const r = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          max_tokens: 50,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
        signal: ac.signal,
      });
      const reader = r.body!.getReader();
      const first = await reader.read();
      assert.match(Buffer.from(first.value!).toString(), /^event: message_start/);
      ac.abort();
      await stack.mock.waitForAborts(aborted + 1, 3000);
      const rec = await stack.usage.waitFor(r.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'messages');
      assert.equal(rec.status, 'cancelled');
      assert.equal(rec.httpStatus, 499);
      assert.ok(rec.completionTokens < 8);
    });

    it('round-trips a tool: tool_use out (JSON and streamed), tool_result back as an OpenAI tool message', async () => {
      const tools = [
        {
          name: 'search',
          description: 'Search the web',
          input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] },
        },
      ];
      const first = await client.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        tools,
        tool_choice: { type: 'tool', name: 'search' },
        messages: [{ role: 'user', content: 'Find mock' }],
      });
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b) => b.type === 'tool_use')!;
      assert.ok(use && use.type === 'tool_use');
      assert.equal(use.name, 'search');
      assert.deepEqual(use.input, JSON.parse(TOOL_ARGUMENTS));
      const sentTools = stack.mock.requests.at(-1)!.body as { tools: unknown; tool_choice: unknown };
      assert.deepEqual(sentTools.tools, [
        {
          type: 'function',
          function: { name: 'search', description: 'Search the web', parameters: tools[0].input_schema },
        },
      ]);
      assert.deepEqual(sentTools.tool_choice, { type: 'function', function: { name: 'search' } });

      const streamed = await client.messages
        .stream({ model: 'gpt-4o-mini', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Find mock' }] })
        .finalMessage();
      const su = streamed.content.find((b) => b.type === 'tool_use');
      assert.ok(su && su.type === 'tool_use');
      assert.deepEqual(su.input, JSON.parse(TOOL_ARGUMENTS), 'input_json_delta fragments accumulate to the arguments');
      assert.equal(streamed.stop_reason, 'tool_use');

      const second = await client.messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 100,
        tools,
        tool_choice: { type: 'none' },
        messages: [
          { role: 'user', content: 'Find mock' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: use.id, content: 'mock results' },
              { type: 'text', text: 'Summarise' },
            ],
          },
        ],
      });
      assert.equal(second.stop_reason, 'end_turn');
      assert.equal(second.content[0].type, 'text');
      const sent = stack.mock.requests.at(-1)!.body as { messages: unknown[]; tool_choice: unknown };
      assert.equal(sent.tool_choice, 'none');
      assert.deepEqual(sent.messages.slice(1), [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: use.id, type: 'function', function: { name: 'search', arguments: JSON.stringify(use.input) } },
          ],
        },
        { role: 'tool', tool_call_id: use.id, content: 'mock results' },
        { role: 'user', content: 'Summarise' },
      ]);
    });

    it('answers errors in Anthropic’s shape: 400 without max_tokens, 404 for an unknown model, 400 for top_k here', async () => {
      await assert.rejects(
        // @ts-expect-error max_tokens is required by the API, left out on purpose
        client.messages.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => {
          assert.ok(e instanceof Anthropic.BadRequestError);
          assert.equal(e.status, 400);
          assert.equal((e.error as { type: string }).type, 'error');
          assert.equal((e.error as { error: { type: string } }).error.type, 'invalid_request_error');
          assert.match((e.error as { error: { message: string } }).error.message, /max_tokens: Field required/);
          return true;
        },
      );
      await assert.rejects(
        client.messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => {
          assert.ok(e instanceof Anthropic.NotFoundError);
          assert.equal((e.error as { error: { type: string } }).error.type, 'not_found_error');
          return true;
        },
      );
      await assert.rejects(
        client.messages.create({
          model: 'gpt-4o-mini',
          max_tokens: 5,
          top_k: 5,
          messages: [{ role: 'user', content: 'x' }],
        } as Anthropic.MessageCreateParamsNonStreaming),
        (e: unknown) => {
          assert.ok(e instanceof Anthropic.BadRequestError);
          assert.match((e.error as { error: { message: string } }).error.message, /top_k/);
          return true;
        },
      );
      const res = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }),
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.match(body.error.message, /messages\.0\.role/);
    });

    it('passes an upstream 429 on as rate_limit_error with its retry-after', async () => {
      stack.mock.setFailure({ status: 429, retryAfter: 7, times: 1, match: { model: 'gpt-4o-mini' } });
      await assert.rejects(
        client.messages.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => {
          assert.ok(e instanceof Anthropic.RateLimitError, String(e));
          assert.equal((e.error as { error: { type: string } }).error.type, 'rate_limit_error');
          return true;
        },
      );
    });

    it('counts tokens (an estimate with the gateway’s tokenizer, said in a header) under the same access rules', async () => {
      await loadTokenizer();
      const params = {
        model: 'gpt-4o-mini',
        system: 'You are terse.',
        messages: [{ role: 'user' as const, content: 'How many tokens is this sentence, roughly?' }],
      };
      const { data, response } = await client.messages.countTokens(params).withResponse();
      assert.equal(data.input_tokens, estimatePromptTokens(messagesToChat({ ...params, max_tokens: 1 })));
      assert.ok(data.input_tokens > 10);
      assert.equal(response.headers.get('x-aihub-token-count'), 'estimate');
      const longer = await client.messages.countTokens({
        ...params,
        messages: [...params.messages, { role: 'assistant', content: 'About ten.' }],
      });
      assert.ok(longer.input_tokens > data.input_tokens);
      await assert.rejects(
        client.messages.countTokens({ ...params, model: 'no-such-model' }),
        (e: unknown) => e instanceof Anthropic.NotFoundError,
      );
      const before = stack.mock.requests.length;
      await client.messages.countTokens(params);
      assert.equal(stack.mock.requests.length, before, 'no upstream call');
    });
  });

  /**
   * The same SDK to a model served by an Anthropic deployment (the mock speaking Anthropic's wire
   * format): the request reaches the upstream as a Messages request, the answer comes back as one.
   */
  describe(`Anthropic SDK → /v1/messages → Anthropic upstream (${backend})`, () => {
    let stack: Stack;
    let client: Anthropic;
    before(async () => {
      stack = await startStack({
        backend,
        ai: (mock) => ({
          requireAuth: false,
          retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
          providers: { claude: { type: 'anthropic', baseUrl: mock.url, apiKey: MOCK_KEY } },
          models: { claude: { deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] } },
        }),
      });
      client = new Anthropic({ apiKey: 'unused-without-auth', baseURL: stack.url, maxRetries: 0 });
    });
    after(() => stack.stop());

    it('answers, streams and calls tools with the upstream’s usage metered', async () => {
      const { data, response } = await client.messages
        .create({
          model: 'claude',
          max_tokens: 100,
          top_k: 5,
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Hi' }],
        } as Anthropic.MessageCreateParamsNonStreaming)
        .withResponse();
      const sent = stack.mock.requests.at(-1)!;
      assert.match(sent.url, /\/v1\/messages$/);
      assert.equal(
        (sent.body as { system?: unknown }).system !== undefined,
        true,
        'the system prompt reaches Anthropic as `system`',
      );
      assert.equal((sent.body as { top_k?: unknown }).top_k, 5, 'top_k reaches a model served only by Anthropic');
      assert.deepEqual(data.content, [{ type: 'text', text: completionText(8) }]);
      assert.equal(data.stop_reason, 'end_turn');
      assert.equal(data.usage.output_tokens, 8);
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'messages');
      assert.equal(rec.provider, 'claude');
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.promptTokens, data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0));

      const final = await client.messages
        .stream({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] })
        .finalMessage();
      assert.equal(final.content[0].type === 'text' && final.content[0].text, completionText(8));
      assert.equal(final.usage.output_tokens, 8);

      const tools = [
        { name: 'search', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } } },
      ];
      const toolMsg = await client.messages.create({
        model: 'claude',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: 'Find' }],
      });
      assert.equal(toolMsg.stop_reason, 'tool_use');
      const use = toolMsg.content.find((b) => b.type === 'tool_use');
      assert.ok(use && use.type === 'tool_use');
      assert.equal(use.name, 'search');
      const upTools = (stack.mock.requests.at(-1)!.body as { tools: { name: string; input_schema: unknown }[] }).tools;
      assert.deepEqual(
        upTools.map((t) => t.name),
        ['search'],
      );
    });

    it('sends the request natively: cache_control, thinking, documents and server tools reach Anthropic unchanged; the answer is Anthropic’s own', async () => {
      const params = {
        model: 'claude',
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        system: [{ type: 'text', text: 'You read contracts.', cache_control: { type: 'ephemeral' } }],
        tools: [
          { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
          {
            name: 'search',
            input_schema: { type: 'object', properties: { query: { type: 'string' } } },
            cache_control: { type: 'ephemeral' },
          },
        ],
        tool_choice: { type: 'none' },
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'text', media_type: 'text/plain', data: 'Clause 1: pay on time.' },
                title: 'Contract',
                citations: { enabled: true },
              },
              { type: 'text', text: 'Summarise it.', cache_control: { type: 'ephemeral', ttl: '1h' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'The user wants a summary.', signature: 'sig-abc' },
              { type: 'text', text: 'It says: pay on time.' },
            ],
          },
          { role: 'user', content: 'Shorter.' },
        ],
      };
      const { data, response } = await client.messages
        .create(params as unknown as Anthropic.MessageCreateParamsNonStreaming, {
          headers: { 'anthropic-beta': 'extended-cache-ttl-2025-04-11' },
        })
        .withResponse();
      const sent = stack.mock.requests.at(-1)!;
      assert.match(sent.url, /\/v1\/messages$/);
      assert.deepEqual(
        sent.body,
        { ...params, model: 'claude-3-5-haiku-latest' },
        'the client’s request, with the deployment’s model',
      );
      assert.equal(
        sent.headers['anthropic-beta'],
        'extended-cache-ttl-2025-04-11',
        'the client’s beta features are asked for',
      );
      assert.equal(sent.headers['x-api-key'], MOCK_KEY, 'with the gateway’s credential');
      assert.equal(data.type, 'message');
      assert.match(data.id, /^msg_mock/, 'Anthropic’s own message id: the answer was not re-built');
      assert.deepEqual(data.content, [{ type: 'text', text: completionText(8) }]);
      assert.equal(data.usage.cache_creation_input_tokens, 0);
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'messages');
      assert.equal(rec.provider, 'claude');
      assert.equal(rec.promptTokens, data.usage.input_tokens);
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.estimated, false);

      // Streamed: Anthropic's own events (its ping included) reach the client.
      const raw = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ ...params, stream: true }),
      });
      const text = await raw.text();
      assert.equal((stack.mock.requests.at(-1)!.body as { stream?: unknown; thinking?: unknown }).stream, true);
      assert.deepEqual((stack.mock.requests.at(-1)!.body as { thinking?: unknown }).thinking, params.thinking);
      assert.match(text, /^event: message_start\ndata: \{"type":"message_start","message":\{"id":"msg_mock/);
      assert.match(text, /event: message_stop\n/);
      const final = await client.messages
        .stream(params as unknown as Anthropic.MessageCreateParamsStreaming)
        .finalMessage();
      assert.equal(final.content[0].type === 'text' && final.content[0].text, completionText(8));
      assert.equal(final.usage.output_tokens, 8);
    });

    it('a tenant’s content transforms apply to the translated request: blocks only the native request carries are then refused', async () => {
      const settings = JSON.stringify({ systemPrompt: 'Tenant rules.' });
      const res = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-test-tenant': 't-transform',
          'x-test-settings': settings,
        },
        body: JSON.stringify({
          model: 'claude',
          max_tokens: 50,
          messages: [
            {
              role: 'user',
              content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }],
            },
          ],
        }),
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /document/);
      const ok = await stack.fetch('/v1/messages', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-test-tenant': 't-transform',
          'x-test-settings': settings,
        },
        body: JSON.stringify({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      assert.equal(ok.status, 200);
      assert.match(String((stack.mock.requests.at(-1)!.body as { system?: unknown }).system), /Tenant rules\./);
    });

    it('count_tokens asks Anthropic for a model it serves alone', async () => {
      const params = {
        model: 'claude',
        system: 'Be brief.',
        messages: [
          {
            role: 'user' as const,
            content: [
              { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'A long contract.' } },
            ],
          },
        ],
      };
      const { data, response } = await client.messages
        .countTokens(params as unknown as Anthropic.MessageCountTokensParams, {
          headers: { 'anthropic-beta': 'token-counting-2024-11-01' },
        })
        .withResponse();
      assert.equal(response.headers.get('x-aihub-token-count'), 'anthropic');
      const sent = stack.mock.requests.at(-1)!;
      assert.equal(sent.headers['anthropic-beta'], 'token-counting-2024-11-01');
      assert.match(sent.url, /\/v1\/messages\/count_tokens$/);
      assert.deepEqual(sent.body, { ...params, model: 'claude-3-5-haiku-latest' });
      assert.ok(data.input_tokens > 0);
    });
  });
}
