import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatStreamAssembler, SseParser } from './assemble';
import { renderSse } from './entry';

const head = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'fp' };
const events = [
  { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  { ...head, choices: [{ index: 0, delta: { content: 'Grüße, ' }, finish_reason: null }] },
  { ...head, choices: [{ index: 0, delta: { content: '東京' }, finish_reason: null }] },
  {
    ...head,
    choices: [
      {
        index: 1,
        delta: {
          role: 'assistant',
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_', arguments: '{"a"' } }],
        },
        finish_reason: null,
      },
    ],
  },
  {
    ...head,
    choices: [
      {
        index: 1,
        delta: { tool_calls: [{ index: 0, function: { name: 'weather', arguments: ':1}' } }] },
        finish_reason: null,
      },
    ],
  },
  {
    ...head,
    choices: [
      { index: 0, delta: {}, finish_reason: 'stop' },
      { index: 1, delta: {}, finish_reason: 'tool_calls' },
    ],
  },
  { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
];
const wire = `: comment\n\n${events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join('')}data: [DONE]\n\n`;

function assemble(text: string, chunkSize: number): ChatStreamAssembler {
  const a = new ChatStreamAssembler();
  const p = new SseParser((d) => a.event(d));
  const bytes = Buffer.from(text);
  // Split at arbitrary byte offsets, also inside multi-byte characters.
  for (let i = 0; i < bytes.length; i += chunkSize) p.push(bytes.subarray(i, i + chunkSize));
  p.end();
  return a;
}

describe('SSE assembly', () => {
  it('rebuilds the chat.completion from chunks split anywhere (CRLF, comments, UTF-8 across chunks)', () => {
    for (const size of [1, 3, 7, 64, 100_000]) {
      const a = assemble(wire, size);
      assert.equal(a.complete, true);
      const body = a.result() as {
        choices: { index: number; message: Record<string, unknown>; finish_reason: string }[];
        usage: unknown;
        system_fingerprint: string;
      };
      assert.equal(body.choices[0].message.content, 'Grüße, 東京');
      assert.deepEqual(body.choices[1].message.tool_calls, [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"a":1}' } },
      ]);
      assert.equal(body.choices[1].finish_reason, 'tool_calls');
      assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
      assert.equal(body.system_fingerprint, 'fp');
    }
  });

  it('is not complete without [DONE], with an unfinished choice, or after an error event', () => {
    assert.equal(assemble(wire.replace('data: [DONE]\n\n', ''), 50).complete, false);
    assert.equal(assemble(`data: ${JSON.stringify(events[1])}\n\ndata: [DONE]\n\n`, 50).complete, false);
    assert.equal(
      assemble(`${wire.replace('data: [DONE]\n\n', '')}data: {"error":{"message":"x"}}\n\ndata: [DONE]\n\n`, 50)
        .complete,
      false,
    );
  });

  it('replays what it assembled as an equivalent stream', () => {
    const body = assemble(wire, 10).result();
    const again = assemble(renderSse(body, true), 5);
    assert.equal(again.complete, true);
    assert.deepEqual(again.result(), body);
  });
});
