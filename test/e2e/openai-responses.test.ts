import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createTestDatabase, type TestDatabase } from '@aihub/core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';
import { completionText } from '../../bench/src/mock-upstream/content';
import { TOOL_ARGUMENTS } from '../../bench/src/mock-upstream/openai';
import { MOCK_KEY, startStack, type Backend, type Stack } from '../../plugins/ai/test/harness';

type Json = Record<string, unknown>;

const TOOLS: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'search',
    description: 'Search the web',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    strict: true,
  },
];

/** The chat request the gateway sent upstream last (the mock records it). */
const lastSent = (stack: Stack) => stack.mock.requests.at(-1)!.body as Json;

/**
 * The official openai SDK (v6) against the gateway's Responses API: create (JSON and streamed typed
 * events, the SDK's stream helper), function tools round trip through previous_response_id,
 * retrieve/delete/input_items, tenant isolation of stored responses, errors in OpenAI's shape, and
 * the usage records (endpoint `responses`), routed to an OpenAI-speaking and an Anthropic-speaking
 * upstream (the mock, real HTTP), on embedded SQLite and on PostgreSQL + Redis.
 */
function responsesSuite(backend: Backend): void {
  describe(`openai SDK → /v1/responses (${backend})`, () => {
    let stack: Stack;
    let client: OpenAI;
    let other: OpenAI;
    before(async () => {
      stack = await startStack({
        backend,
        ai: (mock) => ({
          requireAuth: false,
          retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
          providers: { claude: { type: 'anthropic', baseUrl: mock.url, apiKey: MOCK_KEY } },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
            claude: { deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
          },
        }),
      });
      // Two tenants (the harness' stand-in identity plugin reads these headers).
      client = new OpenAI({
        apiKey: 'unused',
        baseURL: `${stack.url}/v1`,
        maxRetries: 0,
        defaultHeaders: { 'x-test-tenant': 'tenant-a', 'x-test-key': 'key-a1' },
      });
      other = new OpenAI({
        apiKey: 'unused',
        baseURL: `${stack.url}/v1`,
        maxRetries: 0,
        defaultHeaders: { 'x-test-tenant': 'tenant-b', 'x-test-key': 'key-b1' },
      });
    });
    after(() => stack.stop());

    it('creates a response from a string input with instructions; usage and the record say responses', async () => {
      const { data, response } = await client.responses
        .create({
          model: 'gpt-4o-mini',
          instructions: 'Be brief.',
          input: 'Say hello',
          temperature: 0.5,
          max_output_tokens: 100,
          metadata: { ticket: 't-1' },
        })
        .withResponse();
      assert.match(data.id, /^resp_/);
      assert.equal(data.object, 'response');
      assert.equal(data.status, 'completed');
      assert.equal(data.output_text, completionText(8));
      assert.equal(data.output.length, 1);
      const item = data.output[0];
      assert.ok(item.type === 'message' && item.role === 'assistant' && item.status === 'completed');
      assert.deepEqual(
        item.content.map((c) => c.type),
        ['output_text'],
      );
      assert.equal(data.instructions, 'Be brief.');
      assert.equal(data.temperature, 0.5);
      assert.equal(data.max_output_tokens, 100);
      assert.deepEqual(data.metadata, { ticket: 't-1' });
      assert.equal(data.usage!.output_tokens, 8);
      assert.ok(data.usage!.input_tokens > 0);
      assert.equal(data.usage!.total_tokens, data.usage!.input_tokens + 8);
      assert.equal(data.usage!.input_tokens_details.cached_tokens, 0);
      assert.equal(data.usage!.input_tokens_details.cache_write_tokens, 0);
      assert.equal(data.usage!.output_tokens_details.reasoning_tokens, 0);
      const sent = lastSent(stack);
      assert.deepEqual(sent.messages, [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ]);
      assert.equal(sent.temperature, 0.5);
      assert.equal(sent.max_completion_tokens, 100);
      assert.equal(sent.metadata, undefined, 'metadata is the gateway’s to store, not sent upstream');
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'responses');
      assert.equal(rec.tenantId, 'tenant-a');
      assert.equal(rec.status, 'success');
      assert.equal(rec.stream, false);
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.promptTokens, data.usage!.input_tokens);
      assert.ok(rec.costMicros !== null && rec.costMicros > 0, 'priced like chat');
    });

    it('takes input items (developer, user with text and image parts, assistant) and text.format json_schema', async () => {
      const data = await client.responses.create({
        model: 'gpt-4o-mini',
        input: [
          { role: 'developer', content: 'Answer in JSON.' },
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is in this?' },
              { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
            ],
          },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'A cat.', annotations: [] }],
            id: 'msg_prior',
            status: 'completed',
          },
          { role: 'user', content: 'Again, as JSON' },
        ],
        text: {
          format: {
            type: 'json_schema',
            name: 'answer',
            schema: {
              type: 'object',
              properties: { animal: { type: 'string' } },
              required: ['animal'],
              additionalProperties: false,
            },
            strict: true,
          },
        },
      });
      assert.equal(data.status, 'completed');
      assert.equal(data.text?.format?.type, 'json_schema');
      const sent = lastSent(stack);
      assert.deepEqual(sent.messages, [
        { role: 'system', content: 'Answer in JSON.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
          ],
        },
        { role: 'assistant', content: 'A cat.' },
        { role: 'user', content: 'Again, as JSON' },
      ]);
      assert.deepEqual(sent.response_format, {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          schema: {
            type: 'object',
            properties: { animal: { type: 'string' } },
            required: ['animal'],
            additionalProperties: false,
          },
          strict: true,
        },
      });
      const items = await client.responses.inputItems.list(data.id, { order: 'asc' });
      assert.deepEqual(
        items.data.map((i) => (i.type === 'message' ? i.role : i.type)),
        ['developer', 'user', 'assistant', 'user'],
      );
      assert.equal(items.data[2].id, 'msg_prior');
    });

    it('streams the typed events in order with increasing sequence numbers; the last carries usage', async () => {
      const { data: stream, response } = await client.responses
        .create({ model: 'gpt-4o-mini', input: 'Stream please', stream: true })
        .withResponse();
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      const types = events.map((e) => e.type);
      assert.deepEqual(types.slice(0, 4), [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
      ]);
      assert.deepEqual(types.slice(-4), [
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      assert.ok(types.slice(4, -4).every((t) => t === 'response.output_text.delta') && types.length > 8);
      assert.deepEqual(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
      );
      const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
      assert.equal(text, completionText(8));
      const done = events.at(-1)!;
      assert.ok(done.type === 'response.completed');
      assert.equal(done.response.status, 'completed');
      assert.equal(done.response.usage!.output_tokens, 8);
      assert.equal(done.response.id, events[0].type === 'response.created' ? events[0].response.id : '');
      const textDone = events.find((e) => e.type === 'response.output_text.done');
      assert.ok(textDone?.type === 'response.output_text.done' && textDone.text === text);
      assert.equal(lastSent(stack).stream, true);
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'responses');
      assert.equal(rec.stream, true);
      assert.equal(rec.completionTokens, 8);
      // Stored by the time response.completed arrived: retrievable at once.
      const got = await client.responses.retrieve(done.response.id);
      assert.equal(got.status, 'completed');
      assert.equal(got.output_text, text);
    });

    it('an upstream failure mid-stream ends with error and response.failed; the usage record says error', async () => {
      stack.mock.setFailure({ errorAfterChunks: 2, times: 1 });
      const { data: stream, response } = await client.responses
        .create({ model: 'gpt-4o-mini', input: 'x', stream: true })
        .withResponse();
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      assert.deepEqual(
        events.slice(-2).map((e) => e.type),
        ['error', 'response.failed'],
      );
      assert.ok(
        events.some((e) => e.type === 'response.output_text.delta'),
        'the text before the failure was delivered',
      );
      const failed = events.at(-1)!;
      assert.ok(
        failed.type === 'response.failed' && failed.response.status === 'failed' && failed.response.error !== null,
      );
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'responses');
      assert.equal(rec.status, 'error');
    });

    it('aborts the upstream when the client leaves mid-stream, and records the usage as cancelled', async () => {
      const aborted = stack.mock.stats.aborted;
      stack.mock.setFailure({ chunkDelayMs: 100, times: 1 });
      const ac = new AbortController();
      const r = await stack.fetch('/v1/responses', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-tenant': 'tenant-a' },
        body: JSON.stringify({ model: 'gpt-4o-mini', input: 'x', stream: true }),
        signal: ac.signal,
      });
      const reader = r.body!.getReader();
      const first = await reader.read();
      assert.match(Buffer.from(first.value!).toString(), /^event: response\.created\n/);
      ac.abort();
      await stack.mock.waitForAborts(aborted + 1, 3000);
      const rec = await stack.usage.waitFor(r.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'responses');
      assert.equal(rec.status, 'cancelled');
      assert.equal(rec.httpStatus, 499);
      assert.ok(rec.completionTokens < 8);
    });

    it('works with the SDK’s stream helper: text deltas and finalResponse()', async () => {
      let deltas = '';
      const stream = client.responses
        .stream({ model: 'gpt-4o-mini', input: 'Helper' })
        .on('response.output_text.delta', (e) => (deltas += e.delta));
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.equal(final.output_text, completionText(8));
      assert.equal(deltas, completionText(8));
      assert.equal(final.usage?.output_tokens, 8);
    });

    it('round-trips a function call: function_call item, then its output with previous_response_id', async () => {
      const first = await client.responses.create({
        model: 'gpt-4o-mini',
        instructions: 'Use tools.',
        input: 'Find cats',
        tools: TOOLS,
        tool_choice: 'auto',
      });
      assert.equal(first.status, 'completed');
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call');
      assert.equal(call.name, 'search');
      assert.equal(call.arguments, TOOL_ARGUMENTS);
      assert.match(call.call_id, /\S/);
      assert.equal(first.tools[0].type, 'function');
      const upTools = lastSent(stack).tools as Json[];
      assert.deepEqual(upTools, [
        {
          type: 'function',
          function: {
            name: 'search',
            description: 'Search the web',
            parameters: TOOLS[0].type === 'function' ? TOOLS[0].parameters : null,
            strict: true,
          },
        },
      ]);

      const second = await client.responses.create({
        model: 'gpt-4o-mini',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"results":["a cat"]}' }],
      });
      assert.equal(second.previous_response_id, first.id);
      assert.equal(second.output_text, completionText(8));
      // The conversation continued without the first request's instructions (a follow-up does not inherit them).
      assert.deepEqual(lastSent(stack).messages, [
        { role: 'user', content: 'Find cats' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'search', arguments: TOOL_ARGUMENTS } }],
        },
        { role: 'tool', tool_call_id: call.call_id, content: '{"results":["a cat"]}' },
      ]);

      // A third turn continues from the second: the whole chain is sent.
      await client.responses.create({ model: 'gpt-4o-mini', previous_response_id: second.id, input: 'Thanks' });
      const msgs = lastSent(stack).messages as Json[];
      assert.deepEqual(
        msgs.map((m) => m.role),
        ['user', 'assistant', 'tool', 'assistant', 'user'],
      );
      assert.equal(msgs[3].content, completionText(8));
    });

    it('streams a function call as function_call_arguments deltas', async () => {
      const stream = client.responses.stream({
        model: 'gpt-4o-mini',
        input: 'Find',
        tools: TOOLS,
        tool_choice: { type: 'function', name: 'search' },
      });
      const types: string[] = [];
      let args = '';
      stream.on('event', (e) => types.push(e.type));
      stream.on('response.function_call_arguments.delta', (e) => (args += e.delta));
      const final = await stream.finalResponse();
      assert.equal(args, TOOL_ARGUMENTS);
      assert.deepEqual(types.slice(0, 3), ['response.created', 'response.in_progress', 'response.output_item.added']);
      assert.deepEqual(types.slice(-3), [
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const call = final.output[0];
      assert.ok(
        call.type === 'function_call' &&
          call.arguments === TOOL_ARGUMENTS &&
          call.name === 'search' &&
          call.status === 'completed',
      );
      assert.deepEqual(lastSent(stack).tool_choice, { type: 'function', function: { name: 'search' } });
    });

    it('retrieves, lists input items and deletes a stored response; store: false is not stored', async () => {
      const created = await client.responses.create({ model: 'gpt-4o-mini', input: 'Keep me' });
      const got = await client.responses.retrieve(created.id);
      assert.equal(got.id, created.id);
      assert.equal(got.output_text, created.output_text);
      assert.deepEqual(got.usage, created.usage);
      const items = await client.responses.inputItems.list(created.id);
      assert.equal(items.data.length, 1);
      assert.ok(items.data[0].type === 'message' && items.data[0].role === 'user');
      await client.responses.delete(created.id);
      await assert.rejects(client.responses.retrieve(created.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
      await assert.rejects(client.responses.delete(created.id), (e: unknown) => e instanceof OpenAI.NotFoundError);

      const unstored = await client.responses.create({ model: 'gpt-4o-mini', input: 'Forget me', store: false });
      assert.equal((unstored as unknown as { store: boolean }).store, false);
      await assert.rejects(client.responses.retrieve(unstored.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
    });

    it('never shows a response to another tenant: retrieve, input_items and delete are 404, previous_response_id a 400', async () => {
      const mine = await client.responses.create({ model: 'gpt-4o-mini', input: 'Secret of tenant a' });
      await assert.rejects(other.responses.retrieve(mine.id), (e: unknown) => {
        assert.ok(e instanceof OpenAI.NotFoundError, String(e));
        assert.equal(e.status, 404);
        assert.equal(e.code, 'response_not_found');
        assert.equal(e.type, 'invalid_request_error');
        return true;
      });
      await assert.rejects(other.responses.inputItems.list(mine.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
      await assert.rejects(other.responses.delete(mine.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
      const before = stack.mock.requests.length;
      await assert.rejects(
        other.responses.create({ model: 'gpt-4o-mini', previous_response_id: mine.id, input: 'What did a say?' }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.BadRequestError, String(e));
          assert.equal(e.code, 'previous_response_not_found');
          assert.equal(e.param, 'previous_response_id');
          return true;
        },
      );
      assert.equal(stack.mock.requests.length, before, 'nothing was sent upstream');
      // Another key of the same tenant may read it (responses belong to the tenant, as to an OpenAI project).
      const sameTenant = new OpenAI({
        apiKey: 'unused',
        baseURL: `${stack.url}/v1`,
        maxRetries: 0,
        defaultHeaders: { 'x-test-tenant': 'tenant-a', 'x-test-key': 'key-a2' },
      });
      assert.equal((await sameTenant.responses.retrieve(mine.id)).id, mine.id);
      assert.equal((await client.responses.retrieve(mine.id)).id, mine.id, 'the owner still has it');
    });

    it('refuses bad input with a 400 in OpenAI’s error shape, naming the parameter', async () => {
      const cases: [Json, string, RegExp][] = [
        [
          { model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'web_search' }] },
          'tools[0].type',
          /built-in tool 'web_search'/,
        ],
        [
          { model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] },
          'tools[0].type',
          /only function tools/,
        ],
        [{ model: 'gpt-4o-mini' }, 'input', /Missing required parameter/],
        [
          { model: 'gpt-4o-mini', input: [{ type: 'function_call_output', output: 'x' }] },
          'input[0].call_id',
          /call_id/,
        ],
        [{ model: 'gpt-4o-mini', input: 'x', temperature: 3 }, 'temperature', /between 0 and 2/],
        [{ model: 'gpt-4o-mini', input: 'x', background: true }, 'background', /background/],
        [
          { model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file_1' }] }] },
          'input[0].content[0].type',
          /input_file/,
        ],
        [
          { model: 'gpt-4o-mini', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } },
          'text.format.schema',
          /schema/,
        ],
      ];
      for (const [body, param, message] of cases) {
        await assert.rejects(
          client.responses.create(body as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming),
          (e: unknown) => {
            assert.ok(e instanceof OpenAI.BadRequestError, `${JSON.stringify(body)}: ${String(e)}`);
            assert.equal(e.param, param, JSON.stringify(body));
            assert.equal(e.type, 'invalid_request_error');
            assert.match(e.message, message);
            return true;
          },
        );
      }
      const raw = await stack.fetch('/v1/responses', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-tenant': 'tenant-a' },
        body: JSON.stringify({ model: 'no-such-model', input: 'x' }),
      });
      assert.equal(raw.status, 404);
      const body = (await raw.json()) as { error: { code: string; type: string; message: string; param: string } };
      assert.equal(body.error.code, 'model_not_found');
      assert.equal(body.error.param, 'model');
    });

    it('routes to an Anthropic upstream: answers, streams and calls tools, metered with that provider', async () => {
      const { data, response } = await client.responses
        .create({ model: 'claude', instructions: 'Be brief.', input: 'Hi', max_output_tokens: 100 })
        .withResponse();
      const sent = stack.mock.requests.at(-1)!;
      assert.match(sent.url, /\/v1\/messages$/);
      assert.equal((sent.body as Json).system, 'Be brief.');
      assert.equal((sent.body as Json).max_tokens, 100);
      assert.equal(data.output_text, completionText(8));
      assert.equal(data.usage!.output_tokens, 8);
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'responses');
      assert.equal(rec.provider, 'claude');
      assert.equal(rec.promptTokens, data.usage!.input_tokens);

      const final = await client.responses
        .stream({ model: 'claude', input: 'Hi', previous_response_id: data.id })
        .finalResponse();
      assert.equal(final.output_text, completionText(8));
      assert.equal(final.usage?.output_tokens, 8);
      const msgs = (stack.mock.requests.at(-1)!.body as { messages: Json[] }).messages;
      assert.deepEqual(
        msgs.map((m) => m.role),
        ['user', 'assistant', 'user'],
        'the stored conversation reaches Anthropic',
      );

      const tool = await client.responses.create({ model: 'claude', input: 'Find', tools: TOOLS });
      const call = tool.output.find((o) => o.type === 'function_call');
      assert.ok(call && call.type === 'function_call' && call.name === 'search');
      assert.deepEqual(JSON.parse(call.arguments), { query: 'mock' });
      const after = await client.responses.create({
        model: 'claude',
        previous_response_id: tool.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: 'found' }],
      });
      assert.equal(after.status, 'completed');
      const upMsgs = (stack.mock.requests.at(-1)!.body as { messages: { role: string; content: Json[] }[] }).messages;
      assert.equal(upMsgs.at(-1)!.content[0].type, 'tool_result');
      assert.equal(upMsgs.at(-1)!.content[0].tool_use_id, call.call_id);
    });
  });
}

responsesSuite('embedded');
responsesSuite('postgres');

/**
 * Real AI Hub keys (tenancy + auth + ai + usage): a key of one tenant cannot read, continue or
 * delete another tenant's response; the usage plugin stores the request with endpoint `responses`.
 */
describe('openai SDK → /v1/responses with real keys of two tenants', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  const admin = generateApiKey().key;
  const keys: Record<string, { key: string; tenantId: string }> = {};

  before(async () => {
    db = await createTestDatabase('sqlite');
    gw = await startTestGateway({
      plugins: [tenancy, auth, ai, usage],
      pluginConfig: {
        auth: {
          keySecret: 'responses-sdk-key-secret-0123456789abcdefghijklmn',
          bootstrap: { adminKey: admin, print: false },
        },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 3 } } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
        },
      },
      config: { database: { url: db.url } },
    });
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const made = await gw.fetch('/admin/v1/tenants', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Other', slug: 'other' }),
    });
    assert.equal(made.status, 201, await made.clone().text());
    const tenants = (await (await gw.fetch('/admin/v1/tenants', { headers })).json()) as {
      data: { id: string; slug: string }[];
    };
    for (const slug of ['default', 'other']) {
      const tenantId = tenants.data.find((t) => t.slug === slug)!.id;
      const created = await gw.fetch(`/admin/v1/tenants/${tenantId}/api-keys`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `${slug} app`, scopes: ['ai:invoke'] }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      keys[slug] = { key: ((await created.json()) as { key: string }).key, tenantId };
    }
  });

  after(async () => {
    await gw?.stop();
    await db?.drop();
  });

  it('keeps each tenant’s responses its own and stores the request as endpoint responses', async () => {
    const a = new OpenAI({ apiKey: keys.default.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const b = new OpenAI({ apiKey: keys.other.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const mine = await a.responses.create({ model: 'gpt-4o-mini', input: 'Hello' });
    assert.equal(mine.status, 'completed');
    assert.equal(mine.usage?.output_tokens, 3);
    assert.equal((await a.responses.retrieve(mine.id)).id, mine.id);
    await assert.rejects(b.responses.retrieve(mine.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
    await assert.rejects(b.responses.delete(mine.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
    await assert.rejects(
      b.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: mine.id }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'previous_response_not_found',
    );
    const follow = await a.responses.create({ model: 'gpt-4o-mini', input: 'Again', previous_response_id: mine.id });
    assert.equal(follow.previous_response_id, mine.id);
    await assert.rejects(
      new OpenAI({ apiKey: 'not-a-key', baseURL: `${gw.url}/v1`, maxRetries: 0 }).responses.retrieve(mine.id),
      (e: unknown) => e instanceof OpenAI.AuthenticationError,
    );

    const rid = mine._request_id!;
    let row: { endpoint: string; model: string } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      const list = (await (
        await gw.fetch(`/admin/v1/tenants/${keys.default.tenantId}/requests?limit=50`, {
          headers: { authorization: `Bearer ${admin}` },
        })
      ).json()) as { data: { request_id?: string; requestId?: string; endpoint: string; model: string }[] };
      row = list.data.find((r) => (r.request_id ?? r.requestId) === rid);
      if (!row) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(row, `request ${rid} stored by the usage plugin`);
    assert.equal(row.endpoint, 'responses');
  });
});
