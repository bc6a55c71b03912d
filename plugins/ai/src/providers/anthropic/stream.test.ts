import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamEventError } from '../../engine/errors';
import { AnthropicStreamTranslator } from './stream';

const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const start = ev('message_start', {
  message: {
    id: 'msg_1',
    model: 'claude-x',
    usage: { input_tokens: 12, cache_read_input_tokens: 2, output_tokens: 1 },
  },
});

function parse(
  out: string,
): { choices: { delta: Record<string, unknown>; finish_reason: string | null }[]; usage?: Record<string, number> }[] {
  return out
    .split('\n\n')
    .filter((e) => e.startsWith('data: {'))
    .map((e) => JSON.parse(e.slice(6)));
}

describe('Anthropic stream → OpenAI chunks', () => {
  it('translates text deltas, stop reason and usage, across arbitrary chunk boundaries', () => {
    const t = new AnthropicStreamTranslator(true);
    const all =
      start +
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      ev('ping', {}) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hé' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'llo' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 2 } }) +
      ev('message_stop', {});
    const bytes = Buffer.from(all);
    let out = '';
    for (let i = 0; i < bytes.length; i += 7) out += t.push(bytes.subarray(i, i + 7)) ?? '';
    out += t.end() ?? '';
    const chunks = parse(out);
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Héllo');
    assert.equal(chunks.at(-2)!.choices[0].finish_reason, 'length');
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.equal(chunks.at(-1)!.usage!.prompt_tokens, 14);
    assert.ok(out.endsWith('data: [DONE]\n\n'));
    assert.equal(t.done, true);
    assert.deepEqual(t.usage, { promptTokens: 14, completionTokens: 2, cachedTokens: 2 });
    assert.equal(t.completionText(), 'Héllo');
    assert.equal(t.responseModel, 'claude-x');
  });

  it('translates tool_use blocks into tool_calls deltas with their own index', () => {
    const t = new AnthropicStreamTranslator(false);
    const out =
      (t.push(
        Buffer.from(
          start +
            ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
            ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'ok' } }),
        ),
      ) ?? '') +
      (t.push(
        Buffer.from(
          ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'tu_1', name: 'f' } }) +
            ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } }) +
            ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } }) +
            ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }) +
            ev('message_stop', {}),
        ),
      ) ?? '');
    const chunks = parse(out);
    const calls = chunks.flatMap(
      (c) =>
        (c.choices[0]?.delta.tool_calls as
          { index: number; id?: string; function: { name?: string; arguments: string } }[] | undefined) ?? [],
    );
    assert.equal(calls[0].id, 'tu_1');
    assert.equal(calls[0].function.name, 'f');
    assert.ok(calls.every((c) => c.index === 0));
    assert.equal(calls.map((c) => c.function.arguments).join(''), '{"a":1}');
    assert.equal(chunks.at(-1)!.choices[0].finish_reason, 'tool_calls');
    assert.ok(!out.includes('"usage":'), 'no usage fields unless the client asked');
  });

  it('raises an error event before output, and forwards one after it', () => {
    const t = new AnthropicStreamTranslator(false);
    assert.throws(
      () => t.push(Buffer.from(ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }))),
      StreamEventError,
    );
    const u = new AnthropicStreamTranslator(false);
    u.push(Buffer.from(start));
    const out = u.push(Buffer.from(ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })))!;
    assert.match(out, /"error":\{"message":"Overloaded"/);
    assert.equal(u.streamError?.code, 'overloaded_error');
    assert.equal(u.done, false);
  });
});
