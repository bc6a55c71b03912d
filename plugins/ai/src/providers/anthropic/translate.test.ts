import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { finishReason, fromAnthropicAnswer, toAnthropicRequest, usageFromAnthropic } from './translate';

describe('OpenAI → Anthropic requests', () => {
  it('moves system and developer messages to `system` and merges consecutive user turns', () => {
    const out = toAnthropicRequest(
      {
        messages: [
          { role: 'system', content: 'A' },
          { role: 'user', content: 'one' },
          { role: 'developer', content: [{ type: 'text', text: 'B' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'two' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
            ],
          },
        ],
        max_completion_tokens: 99,
        top_p: 0.5,
        stop: ['x', 'y'],
      },
      'claude-x',
      4096,
      false,
    );
    assert.equal(out.system, 'A\n\nB');
    assert.equal(out.max_tokens, 99);
    assert.equal(out.top_p, 0.5);
    assert.deepEqual(out.stop_sequences, ['x', 'y']);
    assert.equal(out.stream, undefined);
    assert.deepEqual(out.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } },
        ],
      },
    ]);
  });

  it('turns tool calls into tool_use blocks and consecutive tool results into one user turn', () => {
    const out = toAnthropicRequest(
      {
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [
              { id: 't1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
              { id: 't2', type: 'function', function: { name: 'b', arguments: 'not json' } },
            ],
          },
          { role: 'tool', tool_call_id: 't1', content: 'r1' },
          { role: 'tool', tool_call_id: 't2', content: [{ type: 'text', text: 'r2' }] },
        ],
        tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }],
        tool_choice: 'auto',
      },
      'm',
      10,
      true,
    );
    assert.equal(out.stream, true);
    assert.deepEqual(out.tool_choice, { type: 'auto' });
    assert.deepEqual(out.tools, [{ name: 'a', description: undefined, input_schema: { type: 'object' } }]);
    assert.deepEqual((out.messages as unknown[]).slice(1), [
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 't1', name: 'a', input: { x: 1 } },
          { type: 'tool_use', id: 't2', name: 'b', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'r1' },
          { type: 'tool_result', tool_use_id: 't2', content: 'r2' },
        ],
      },
    ]);
  });

  it('maps tool_choice none and rejects what Anthropic cannot do', () => {
    assert.deepEqual(
      toAnthropicRequest({ messages: [{ role: 'user', content: 'q' }], tool_choice: 'none' }, 'm', 1, false)
        .tool_choice,
      { type: 'none' },
    );
    assert.throws(
      () => toAnthropicRequest({ messages: [{ role: 'user', content: 'q' }], n: 2 }, 'm', 1, false),
      (e: unknown) => e instanceof GatewayError && e.param === 'n',
    );
    assert.throws(
      () =>
        toAnthropicRequest(
          { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }] },
          'm',
          1,
          false,
        ),
      GatewayError,
    );
  });
});

describe('Anthropic → OpenAI answers', () => {
  it('maps text, tool_use, stop reasons and usage (cache tokens inside prompt tokens)', () => {
    const { json, usage, finish } = fromAnthropicAnswer({
      id: 'msg_1',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Hi ' },
        { type: 'text', text: 'there' },
        { type: 'tool_use', id: 'tu', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 },
    });
    assert.equal(finish, 'tool_calls');
    assert.deepEqual(usage, { promptTokens: 130, completionTokens: 5, cachedTokens: 100, cacheWriteTokens: 20 });
    const choice = (json.choices as { message: { content: string; tool_calls: unknown[] } }[])[0];
    assert.equal(choice.message.content, 'Hi there');
    assert.deepEqual(choice.message.tool_calls, [
      { id: 'tu', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
    ]);
    assert.deepEqual(json.usage, {
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100 },
    });
  });

  it('stop reasons', () => {
    assert.deepEqual(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', null].map(finishReason), [
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
      'stop',
    ]);
    assert.equal(usageFromAnthropic(undefined), undefined);
  });
});
