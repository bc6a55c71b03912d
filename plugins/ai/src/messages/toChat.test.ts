import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { messagesToChat } from './toChat';

const base = { model: 'm', max_tokens: 10 };
const refused = (body: unknown, param: RegExp) =>
  assert.throws(
    () => messagesToChat(body),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && param.test(String(e.param)),
  );

describe('messagesToChat', () => {
  it('images (base64 and url) become image_url parts beside the text', () => {
    const out = messagesToChat({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
        ],
      },
    ]);
  });

  it('tool results (text blocks, is_error) become tool messages; thinking blocks are not sent; cache_control is ignored', () => {
    const out = messagesToChat({
      ...base,
      system: [
        { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'B' },
      ],
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 's' },
            { type: 'text', text: 'Calling.' },
            { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
            { type: 'tool_use', id: 't2', name: 'g', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'one' }] },
            { type: 'tool_result', tool_use_id: 't2', content: 'boom', is_error: true },
          ],
        },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    assert.deepEqual(out.messages, [
      { role: 'system', content: 'A\nB' },
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: 'Calling.',
        tool_calls: [
          { id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 't2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 't1', content: 'one' },
      { role: 'tool', tool_call_id: 't2', content: 'Error: boom' },
    ]);
    assert.equal(out.tool_choice, 'required');
    assert.equal(out.parallel_tool_calls, false);
  });

  it('keeps top_k only when told every deployment takes it', () => {
    assert.equal(
      messagesToChat({ ...base, top_k: 4, messages: [{ role: 'user', content: 'x' }] }, { topK: true }).top_k,
      4,
    );
    refused({ ...base, top_k: 4, messages: [{ role: 'user', content: 'x' }] }, /^top_k$/);
  });

  it('streams ask for the usage chunk', () => {
    const out = messagesToChat({ ...base, stream: true, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(out.stream, true);
    assert.deepEqual(out.stream_options, { include_usage: true });
  });

  it('refuses what the Messages API or the target cannot take, naming the field', () => {
    refused({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, /^max_tokens$/);
    refused({ ...base, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, /^max_tokens$/);
    refused({ ...base, messages: [] }, /^messages$/);
    refused({ ...base, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] }, /^temperature$/);
    refused({ ...base, top_k: 3, messages: [{ role: 'user', content: 'x' }] }, /^top_k$/);
    refused(
      { ...base, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] },
      /^messages\.0\.content\.0\.type$/,
    );
    refused(
      {
        ...base,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'x' }],
      },
      /^tools\.0\.type$/,
    );
    refused(
      { ...base, tool_choice: { type: 'tool' }, messages: [{ role: 'user', content: 'x' }] },
      /^tool_choice\.name$/,
    );
    refused(
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: {} }] }],
          },
        ],
      },
      /^messages\.0\.content\.0\.content\.0\.type$/,
    );
  });
});
