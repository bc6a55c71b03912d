import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { StreamEventError } from '../../engine/errors';
import { ConverseStreamTranslator } from './stream';
import { finishReason, fromConverseAnswer, parseBedrockError, toConverseRequest } from './translate';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const frame = (headers: Record<string, string>, payload: unknown) =>
  Buffer.from(
    codec.encode({
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
const event = (type: string, payload: unknown) =>
  frame({ ':event-type': type, ':message-type': 'event', ':content-type': 'application/json' }, payload);

describe('OpenAI → Bedrock Converse requests', () => {
  it('system, turns, images as bytes, tools, tool choice, results and inference config', () => {
    const req = toConverseRequest({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
        },
        { role: 'tool', tool_call_id: 'tooluse_1', content: '{"hits":2}' },
        { role: 'tool', tool_call_id: 'tooluse_1', content: 'two hits' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: 'Search',
            parameters: { type: 'object', properties: { q: { type: 'string' } } },
          },
        },
      ],
      tool_choice: 'required',
      max_tokens: 64,
      temperature: 0.5,
      stop: ['END'],
    });
    assert.deepEqual(req.system, [{ text: 'Be brief.' }]);
    assert.deepEqual(req.messages, [
      { role: 'user', content: [{ text: 'Look' }, { image: { format: 'jpeg', source: { bytes: '/9j/' } } }] },
      {
        role: 'assistant',
        content: [{ text: 'Checking.' }, { toolUse: { toolUseId: 'tooluse_1', name: 'lookup', input: { q: 'x' } } }],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tooluse_1', content: [{ json: { hits: 2 } }], status: 'success' } },
          { toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'two hits' }], status: 'success' } },
        ],
      },
    ]);
    assert.deepEqual(req.toolConfig, {
      tools: [
        {
          toolSpec: {
            name: 'lookup',
            description: 'Search',
            inputSchema: { json: { type: 'object', properties: { q: { type: 'string' } } } },
          },
        },
      ],
      toolChoice: { any: {} },
    });
    assert.deepEqual(req.inferenceConfig, { maxTokens: 64, temperature: 0.5, stopSequences: ['END'] });
    assert.deepEqual(
      (
        toConverseRequest({
          messages: [],
          tools: [{ type: 'function', function: { name: 'f' } }],
          tool_choice: { type: 'function', function: { name: 'f' } },
        }).toolConfig as { toolChoice: unknown }
      ).toolChoice,
      { tool: { name: 'f' } },
    );
  });

  it('refuses image URLs and n > 1, naming the parameter', () => {
    const param = (body: Record<string, unknown>) => {
      try {
        toConverseRequest(body);
      } catch (e) {
        return (e as GatewayError).param;
      }
      assert.fail('no error');
    };
    assert.equal(
      param({
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/cat.png' } }] }],
      }),
      'messages[0].content[0].image_url.url',
    );
    assert.equal(param({ messages: [], n: 2 }), 'n');
  });
});

describe('Bedrock Converse → OpenAI answers', () => {
  it('text, toolUse, stop reasons and usage with cache reads and writes', () => {
    const { json, usage, finish } = fromConverseAnswer(
      {
        output: {
          message: { content: [{ text: 'Hi' }, { toolUse: { toolUseId: 't1', name: 'f', input: { a: 1 } } }] },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 5, outputTokens: 2, cacheReadInputTokens: 10, cacheWriteInputTokens: 20 },
      },
      'm',
    );
    assert.equal(finish, 'tool_calls');
    assert.deepEqual(usage, { promptTokens: 35, completionTokens: 2, cachedTokens: 10, cacheWriteTokens: 20 });
    const msg = (json.choices as { message: { content: string; tool_calls: unknown[] } }[])[0].message;
    assert.equal(msg.content, 'Hi');
    assert.deepEqual(msg.tool_calls, [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
    assert.deepEqual(
      ['end_turn', 'stop_sequence', 'max_tokens', 'guardrail_intervened', 'content_filtered'].map(finishReason),
      ['stop', 'stop', 'length', 'content_filter', 'content_filter'],
    );
  });

  it('errors named by x-amzn-errortype (carried as __type)', () => {
    assert.deepEqual(
      parseBedrockError(
        Buffer.from(
          '{"message":"Too many requests","__type":"ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}',
        ),
      ),
      { message: 'Too many requests', type: 'ThrottlingException', code: 'throttling', param: null },
    );
    assert.equal(
      parseBedrockError(Buffer.from('{"Message":"bad","__type":"com.amazon.coral.validate#ValidationException"}')).code,
      'validation',
    );
  });
});

describe('ConverseStream event stream', () => {
  it('frames split anywhere: text, tool call, finish, usage and [DONE]', () => {
    const bytes = Buffer.concat([
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }),
      event('contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 't1', name: 'f' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":1}' } } }),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: { inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 1 } }),
    ]);
    const t = new ConverseStreamTranslator('m', true);
    let out = '';
    for (let i = 0; i < bytes.length; i += 7) out += t.push(bytes.subarray(i, i + 7)) ?? '';
    out += t.end() ?? '';
    assert.match(out, /"content":"Hi"/);
    assert.match(
      out,
      /"tool_calls":\[\{"index":0,"id":"t1","type":"function","function":\{"name":"f","arguments":""\}\}\]/,
    );
    assert.match(out, /"arguments":"\{\\"a\\":1\}"/);
    assert.match(out, /"finish_reason":"tool_calls"/);
    assert.match(out, /"usage":\{"prompt_tokens":4,"completion_tokens":4/);
    assert.ok(out.endsWith('data: [DONE]\n\n'));
    assert.equal(t.done, true);
    assert.deepEqual(t.usage, { promptTokens: 4, completionTokens: 4, cachedTokens: 1 });
  });

  it('an exception frame before any output fails the attempt; after output it is an error event', () => {
    const exception = frame(
      { ':message-type': 'exception', ':exception-type': 'throttlingException', ':content-type': 'application/json' },
      { message: 'slow down' },
    );
    assert.throws(
      () => new ConverseStreamTranslator('m', false).push(exception),
      (e: unknown) => e instanceof StreamEventError && e.body.code === 'throttlingException',
    );
    const t = new ConverseStreamTranslator('m', false);
    t.push(event('messageStart', { role: 'assistant' }));
    assert.match(String(t.push(exception)), /"error":\{"message":"slow down"/);
    assert.equal(t.streamError?.message, 'slow down');
    assert.equal(t.end(), null);
  });

  it('a frame failing its checksum ends the stream as broken (not done)', () => {
    const t = new ConverseStreamTranslator('m', false);
    const bad = event('messageStop', { stopReason: 'end_turn' });
    bad[bad.length - 1] ^= 0xff;
    t.push(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }));
    assert.equal(t.push(bad), null);
    assert.equal(t.end(), null);
    assert.equal(t.done, false);
  });
});
