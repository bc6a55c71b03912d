import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseTokens } from './fromChat';
import { ResponsesSseTransform, type StreamEnd } from './stream';
import { parseResponsesRequest } from './toChat';

type Json = Record<string, unknown>;

/** Feeds OpenAI chunk SSE (in awkward byte pieces) through the transform; returns the events and what was settled. */
async function translate(
  sse: string,
  pieces = 7,
  settledTokens?: ResponseTokens,
): Promise<{ events: { event: string; data: Json }[]; settled: StreamEnd[] }> {
  const settled: StreamEnd[] = [];
  const t = new ResponsesSseTransform(
    'resp_1',
    1700000000,
    parseResponsesRequest({ model: 'alias', input: 'x', stream: true }),
    'alias',
    async (end) => void settled.push(end),
    () => settledTokens,
  );
  let out = '';
  t.on('data', (b: Buffer) => (out += b.toString()));
  const done = new Promise((r) => t.on('end', r));
  const bytes = Buffer.from(sse);
  for (let i = 0; i < bytes.length; i += pieces) t.write(bytes.subarray(i, i + pieces));
  t.end();
  await done;
  const events = out
    .trim()
    .split('\n\n')
    .map((e) => {
      const [ev, data] = e.split('\n');
      return { event: ev.slice(7), data: JSON.parse(data.slice(6)) as Json };
    });
  return { events, settled };
}

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

describe('ResponsesSseTransform', () => {
  it('text then two tool calls: one output item each, in order, with their deltas; usage with cached and reasoning tokens', async () => {
    const sse =
      chunk({ model: 'up-1', choices: [{ delta: { role: 'assistant', content: 'Hé' } }] }) +
      chunk({ choices: [{ delta: { content: 'llo' } }] }) +
      chunk({
        choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_a', function: { name: 'f', arguments: '{"a"' } }] } }],
      }) +
      chunk({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] } }] }) +
      chunk({
        choices: [
          {
            delta: { tool_calls: [{ index: 1, id: 'call_b', function: { name: 'g', arguments: '{}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
      }) +
      chunk({
        choices: [],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 7,
          prompt_tokens_details: { cached_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      }) +
      'data: [DONE]\n\n';
    const { events, settled } = await translate(sse);
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.function_call_arguments.delta',
        'response.function_call_arguments.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(
      events.map((e) => e.data.sequence_number),
      events.map((_, i) => i),
    );
    assert.ok(events.every((e) => e.data.type === e.event));
    assert.equal(events[6].data.text, 'Héllo', 'a character split across writes arrives whole');
    assert.deepEqual(
      events.filter((e) => e.event === 'response.output_item.added').map((e) => e.data.output_index),
      [0, 1, 2],
    );
    assert.equal(events[12].data.arguments, '{"a":1}');
    assert.equal(events[12].data.name, 'f');
    const final = events.at(-1)!.data.response as Json;
    assert.equal(final.status, 'completed');
    assert.equal(final.model, 'up-1');
    assert.deepEqual(final.usage, {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 2 },
      total_tokens: 17,
    });
    const output = final.output as Json[];
    assert.deepEqual(
      output.map((o) => [o.type, o.status]),
      [
        ['message', 'completed'],
        ['function_call', 'completed'],
        ['function_call', 'completed'],
      ],
    );
    assert.deepEqual(
      output.slice(1).map((o) => [o.call_id, o.name, o.arguments]),
      [
        ['call_a', 'f', '{"a":1}'],
        ['call_b', 'g', '{}'],
      ],
    );
    assert.equal(settled.length, 1);
    assert.deepEqual(settled[0].response, final, 'the response is settled (stored) before its last event');
  });

  it('takes the usage the gateway read from the provider (cache writes, which chunks cannot carry), keeping the chunk’s reasoning tokens', async () => {
    const sse =
      chunk({ choices: [{ delta: { content: 'x' }, finish_reason: 'stop' }] }) +
      chunk({
        choices: [],
        usage: { prompt_tokens: 30, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 3 } },
      }) +
      'data: [DONE]\n\n';
    const { events } = await translate(sse, 7, {
      promptTokens: 30,
      completionTokens: 5,
      cachedTokens: 10,
      cacheWriteTokens: 12,
      reasoningTokens: 0,
    });
    const usage = (events.at(-1)!.data.response as Json).usage;
    assert.deepEqual(usage, {
      input_tokens: 30,
      input_tokens_details: { cached_tokens: 10, cache_write_tokens: 12 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 35,
    });
  });

  it('a cut answer ends with response.incomplete (max_output_tokens)', async () => {
    const { events } = await translate(
      chunk({ choices: [{ delta: { content: 'abc' }, finish_reason: 'length' }] }) + 'data: [DONE]\n\n',
    );
    const last = events.at(-1)!;
    assert.equal(last.event, 'response.incomplete');
    assert.deepEqual((last.data.response as Json).incomplete_details, { reason: 'max_output_tokens' });
  });

  it('an upstream error event becomes `error` then response.failed, and nothing after it', async () => {
    const sse =
      chunk({ choices: [{ delta: { content: 'par' } }] }) +
      chunk({ error: { message: 'upstream broke', type: 'server_error', code: 'upstream_stream_error' } }) +
      chunk({ choices: [{ delta: { content: 'late' } }] });
    const { events, settled } = await translate(sse);
    assert.deepEqual(
      events.slice(-2).map((e) => e.event),
      ['error', 'response.failed'],
    );
    assert.equal(events.at(-2)!.data.code, 'upstream_stream_error');
    assert.equal(events.at(-2)!.data.message, 'upstream broke');
    const failed = events.at(-1)!.data.response as Json;
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'upstream_stream_error', message: 'upstream broke' });
    assert.ok(!events.some((e) => e.data.delta === 'late'));
    assert.equal(settled[0].response.status, 'failed');
  });

  it('an empty answer is one empty message, completed', async () => {
    const { events } = await translate(
      chunk({ choices: [{ delta: { role: 'assistant' }, finish_reason: 'stop' }] }) + 'data: [DONE]\n\n',
    );
    const final = events.at(-1)!.data.response as Json;
    assert.equal(events.at(-1)!.event, 'response.completed');
    assert.deepEqual(
      (final.output as Json[]).map((o) => o.type),
      ['message'],
    );
  });
});
