import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { inputToMessages, parseResponsesRequest, withConversation } from './toChat';

const refused = (fn: () => unknown, param: string, message: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.status, 400);
    assert.equal(e.param, param);
    assert.match(e.message, message);
    return true;
  });

describe('Responses request → chat request', () => {
  it('joins an assistant message and the function calls after it into one chat message; outputs become tool messages', () => {
    const { messages, items } = inputToMessages([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
      { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'c2', name: 'weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
      { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'rain' }] },
      { type: 'reasoning', id: 'rs_1', summary: [] },
    ]);
    assert.deepEqual(messages, [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'c2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'c2', content: 'rain' },
    ]);
    assert.equal(items.length, 6, 'reasoning items are not kept');
    assert.ok(items.every((i) => typeof i.id === 'string'));
  });

  it('maps the request fields; a follow-up gets its own instructions, then the stored conversation, then its input', () => {
    const req = parseResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: 'Next',
      max_output_tokens: 64,
      top_p: 0.5,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      reasoning: { effort: 'low' },
      text: { format: { type: 'json_object' } },
      safety_identifier: 'user-7',
      stream: true,
      previous_response_id: 'resp_1',
    });
    const chat = withConversation(req, [
      { role: 'user', content: 'First' },
      { role: 'assistant', content: 'Ok' },
    ]);
    assert.deepEqual(chat, {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'First' },
        { role: 'assistant', content: 'Ok' },
        { role: 'user', content: 'Next' },
      ],
      top_p: 0.5,
      max_completion_tokens: 64,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      reasoning_effort: 'low',
      user: 'user-7',
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(req.previousResponseId, 'resp_1');
    assert.equal(req.store, true);
  });

  it('refuses what chat cannot carry, naming the field', () => {
    refused(
      () =>
        parseResponsesRequest({
          model: 'm',
          input: 'x',
          tools: [{ type: 'code_interpreter', container: { type: 'auto' } }],
        }),
      'tools[0].type',
      /built-in tool 'code_interpreter'/,
    );
    refused(
      () => parseResponsesRequest({ model: 'm', input: 'x', tool_choice: { type: 'web_search_preview' } }),
      'tool_choice.type',
      /not supported/,
    );
    refused(
      () => parseResponsesRequest({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }),
      'input[0].type',
      /item references/,
    );
    refused(
      () =>
        parseResponsesRequest({
          model: 'm',
          input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }],
        }),
      'input[0].content[0].image_url',
      /file_id/,
    );
    refused(
      () => parseResponsesRequest({ model: 'm', input: 'x', conversation: 'conv_1' }),
      'conversation',
      /previous_response_id/,
    );
    refused(() => parseResponsesRequest({ model: 'm', input: 'x', metadata: { n: 1 } }), 'metadata.n', /string/);
    refused(
      () => parseResponsesRequest({ model: 'm', input: 'x', max_output_tokens: 5 }),
      'max_output_tokens',
      /between 16/,
    );
    refused(() => parseResponsesRequest({ model: 'm', input: [] }), 'input', /at least one message/);
    refused(() => parseResponsesRequest({ input: 'x' }), 'model', /Missing required parameter/);
  });
});
