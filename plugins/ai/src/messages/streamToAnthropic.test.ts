import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnthropicSseTransform } from './streamToAnthropic';

/** Feeds OpenAI SSE text (in awkward pieces) through the transform; returns the Anthropic events. */
async function translate(sse: string, pieces = 7): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const t = new AnthropicSseTransform('alias');
  let out = '';
  t.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise((r) => t.on('end', r));
  // Cut by bytes, as TCP does: a UTF-8 character may straddle two writes.
  const bytes = Buffer.from(sse);
  for (let i = 0; i < bytes.length; i += pieces) t.write(bytes.subarray(i, i + pieces));
  t.end();
  await done;
  return out
    .trim()
    .split('\n\n')
    .map((e) => {
      const [ev, data] = e.split('\n');
      return { event: ev.slice(7), data: JSON.parse(data.slice(6)) as Record<string, unknown> };
    });
}

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

describe('AnthropicSseTransform', () => {
  it('text then two parallel tool calls: one block each, indexes in order, input_json_delta fragments', async () => {
    const sse =
      chunk({ id: 'c1', model: 'up', choices: [{ delta: { role: 'assistant', content: 'Hi' } }] }) +
      chunk({
        id: 'c1',
        choices: [{ delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{"x":' } }] } }],
      }) +
      chunk({ id: 'c1', choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }] }) +
      chunk({
        id: 'c1',
        choices: [{ delta: { tool_calls: [{ index: 1, id: 'b', function: { name: 'g', arguments: '{}' } }] } }],
      }) +
      chunk({ id: 'c1', choices: [{ delta: {}, finish_reason: 'tool_calls' }] }) +
      chunk({
        id: 'c1',
        choices: [],
        usage: { prompt_tokens: 20, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 8 } },
      }) +
      'data: [DONE]\n\n';
    const ev = await translate(sse);
    assert.deepEqual(
      ev.map((e) => e.event),
      [
        'message_start',
        'ping',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.equal((ev[0].data.message as { model: string }).model, 'up');
    assert.deepEqual(ev[5].data, {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'a', name: 'f', input: {} },
    });
    assert.deepEqual(ev[7].data, {
      type: 'content_block_delta',
      index: 1,
      delta: { type: 'input_json_delta', partial_json: '1}' },
    });
    assert.equal((ev[9].data as { index: number }).index, 2);
    assert.deepEqual(ev[12].data, {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 8 },
    });
  });

  it('an upstream that ends without [DONE] or usage still closes the message; an error event becomes `error`', async () => {
    const ev = await translate(chunk({ choices: [{ delta: { content: 'a' }, finish_reason: 'length' }] }));
    assert.deepEqual(
      ev.slice(-3).map((e) => e.event),
      ['content_block_stop', 'message_delta', 'message_stop'],
    );
    assert.equal((ev.at(-2)!.data.delta as { stop_reason: string }).stop_reason, 'max_tokens');
    const err = await translate(
      chunk({ choices: [{ delta: { content: 'a' } }] }) + chunk({ error: { message: 'boom', type: 'server_error' } }),
    );
    assert.deepEqual(err.at(-1), {
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'boom' } },
    });
  });

  it('keeps a multi-byte character split across upstream chunks intact', async () => {
    const ev = await translate(chunk({ choices: [{ delta: { content: '你好 👋' } }] }), 3);
    assert.equal((ev[3].data.delta as { text: string }).text, '你好 👋');
  });
});
