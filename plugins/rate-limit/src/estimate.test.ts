import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeChat } from 'gpt-tokenizer';
import { completionReserve, estimatePromptTokens, estimateRequestTokens } from './estimate';

const english =
  'You are a helpful assistant. Summarize the following meeting notes in three bullet points, keeping names and dates exact. ' +
  'The quarterly review covered revenue growth of 12 percent, the delayed launch of the mobile app, and hiring plans for the data team in Berlin.';
const code =
  'function add(a: number, b: number): number {\n  return a + b; // sum\n}\nconst xs = [1, 2, 3].map((x) => add(x, 40));\n';

describe('token estimate', () => {
  it('stays within a factor of 2 of gpt-tokenizer (o200k) for prose, code, JSON and CJK', () => {
    const json = JSON.stringify({
      users: [{ id: 1, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'dev'] }],
    });
    const cjk = '東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。';
    for (const content of [english, english.repeat(20), code.repeat(10), json.repeat(10), cjk.repeat(10)]) {
      const messages = [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content },
      ];
      const real = encodeChat(messages, 'gpt-4o').length;
      const est = estimatePromptTokens({ messages }, 4);
      assert.ok(est / real > 0.5 && est / real < 2, `estimate ${est} vs tokenizer ${real}`);
    }
  });

  it('counts text parts, tool calls, tool schemas, completions prompts and embeddings inputs', () => {
    assert.equal(
      estimatePromptTokens({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(40) }] }] }, 4),
      10 + 4 + 3,
    );
    const withTools = estimatePromptTokens(
      { messages: [], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] },
      4,
    );
    assert.ok(withTools > 3);
    assert.equal(
      estimatePromptTokens(
        {
          messages: [
            { role: 'assistant', content: null, tool_calls: [{ function: { name: 'abcd', arguments: '{"a":1}' } }] },
          ],
        },
        4,
      ),
      3 + 7,
    );
    assert.equal(estimatePromptTokens({ prompt: 'y'.repeat(80) }, 4), 20);
    assert.equal(estimatePromptTokens({ input: ['a'.repeat(8), 'b'.repeat(8)] }, 4), 4);
    assert.equal(estimatePromptTokens({ input: [[1, 2, 3]] }, 4), 3);
    assert.equal(estimatePromptTokens('garbage', 4), 0);
  });

  it('reserves max_completion_tokens, else max_tokens, else the default, times n; nothing for embeddings', () => {
    assert.equal(completionReserve({ messages: [], max_tokens: 100, max_completion_tokens: 50 }, 1024), 50);
    assert.equal(completionReserve({ messages: [], max_tokens: 100, n: 3 }, 1024), 300);
    assert.equal(completionReserve({ messages: [] }, 1024), 1024);
    assert.equal(completionReserve({ input: 'x' }, 1024), 0);
    assert.equal(
      estimateRequestTokens({ messages: [{ role: 'user', content: 'abcd' }], max_tokens: 10 }, 4, 1024),
      1 + 7 + 10,
    );
  });

  it('counts Anthropic Messages system prompts and tool_use / tool_result blocks', () => {
    const body = {
      system: [{ type: 'text', text: 's'.repeat(40) }],
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'abcd', input: { a: 1 } }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'r'.repeat(40) }] }],
        },
      ],
      max_tokens: 100,
    };
    // 40 system + (4 name + 7 '{"a":1}') + 40 result = 91 bytes → 23 tokens; framing 3 + 2×4 + 4 (system).
    assert.equal(estimatePromptTokens(body, 4), 23 + 15);
    assert.equal(
      estimatePromptTokens({ system: 'x'.repeat(400), messages: [{ role: 'user', content: 'hi' }] }, 4),
      Math.ceil(402 / 4) + 3 + 4 + 4,
    );
    assert.equal(completionReserve(body, 1024), 100);
  });

  it('counts Responses input (string or items), instructions and max_output_tokens on /v1/responses', () => {
    const path = '/v1/responses';
    assert.equal(estimatePromptTokens({ input: 'x'.repeat(40) }, 4, path), 10 + 3 + 4);
    assert.equal(
      estimatePromptTokens({ input: 'x'.repeat(40), instructions: 'i'.repeat(40) }, 4, path),
      20 + 3 + 4 + 4,
    );
    const items = [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'a'.repeat(40) },
          { type: 'input_image', image_url: 'https://x/y.png' },
        ],
      },
      { type: 'function_call', call_id: 'c1', name: 'abcd', arguments: '{"q":"'.concat('b'.repeat(30), '"}') },
      { type: 'function_call_output', call_id: 'c1', output: 'c'.repeat(80) },
      { role: 'assistant', content: 'd'.repeat(40) },
    ];
    // 40 text + 340 image + (4 + 38) call + 80 output + 40 = 542 bytes → 136 tokens; framing 3 + 4×4.
    assert.equal(estimatePromptTokens({ input: items }, 4, path), 136 + 19);
    assert.equal(completionReserve({ input: 'x', max_output_tokens: 300 }, 1024, path), 300);
    assert.equal(completionReserve({ input: 'x' }, 1024, path), 1024);
    assert.equal(
      estimateRequestTokens({ input: items, max_output_tokens: 45 }, 4, 1024, '/openai/v1/responses'),
      155 + 45,
    );
    // The same body elsewhere (an embeddings route) reserves no completion and counts strings only.
    assert.equal(completionReserve({ input: 'x', max_output_tokens: 300 }, 1024, '/v1/embeddings'), 0);
    assert.equal(estimatePromptTokens({ input: items }, 4, '/v1/embeddings'), 0);
  });

  it('stays cheap on the hot path (a 4 KB chat estimates in well under 20 µs)', () => {
    const body = { messages: [{ role: 'user', content: english.repeat(16) }], max_tokens: 200 };
    for (let i = 0; i < 1000; i++) estimateRequestTokens(body, 4, 1024);
    const n = 20_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) estimateRequestTokens(body, 4, 1024);
    const us = ((performance.now() - t) / n) * 1000;
    assert.ok(us < 20, `${us.toFixed(2)} µs per estimate`);
  });
});
