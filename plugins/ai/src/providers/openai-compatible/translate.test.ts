import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallInput } from '../../types';
import { parseCompatibleError } from './adapter';
import { PRESETS } from './presets';
import { fixChunkJson } from './stream';
import { mistralToolCallId, presetBody } from './translate';

const call = (body: Record<string, unknown>, stream = false): CallInput => ({
  op: 'chat',
  body,
  raw: Buffer.from(JSON.stringify(body)),
  stream,
  clientWantsUsage: false,
});
const json = (b: string | Buffer) => JSON.parse(b.toString()) as Record<string, unknown>;

describe('OpenAI-compatible presets: request bodies', () => {
  it('mistral: unknown fields dropped, seed and max_completion_tokens renamed, tool call ids in its format', () => {
    const body = json(
      presetBody(
        'mistral',
        PRESETS.mistral,
        call(
          {
            model: 'a',
            user: 'u',
            seed: 7,
            max_completion_tokens: 9,
            stream: true,
            stream_options: { include_usage: true },
            messages: [
              {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'f', arguments: '{}' } }],
              },
              { role: 'tool', tool_call_id: 'call_abc', content: 'x' },
              { role: 'tool', tool_call_id: 'Ab3dE6gH9', content: 'y' },
            ],
          },
          true,
        ),
        'mistral-small-latest',
      ),
    );
    assert.equal(body.model, 'mistral-small-latest');
    assert.equal(body.user, undefined);
    assert.equal(body.stream_options, undefined);
    assert.equal(body.random_seed, 7);
    assert.equal(body.seed, undefined);
    assert.equal(body.max_tokens, 9);
    const msgs = body.messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const id = msgs[0].tool_calls![0].id;
    assert.match(id, /^[A-Za-z0-9]{9}$/);
    assert.equal(msgs[1].tool_call_id, id, 'the pair still matches');
    assert.equal(msgs[2].tool_call_id, 'Ab3dE6gH9', "Mistral's own ids pass as they are");
    assert.equal(mistralToolCallId('call_abc'), id, 'deterministic');
  });

  it('deepseek: reasoning_content of earlier turns removed; usage asked for in streams', () => {
    const body = json(
      presetBody(
        'deepseek',
        PRESETS.deepseek,
        call(
          {
            model: 'a',
            stream: true,
            messages: [
              { role: 'assistant', content: 'x', reasoning_content: 'thought' },
              { role: 'user', content: 'y' },
            ],
          },
          true,
        ),
        'deepseek-reasoner',
      ),
    );
    assert.deepEqual(body.messages, [
      { role: 'assistant', content: 'x' },
      { role: 'user', content: 'y' },
    ]);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  it('groq: messages[].name removed; vllm: the client bytes as they are', () => {
    const body = json(
      presetBody(
        'groq',
        PRESETS.groq,
        call({ model: 'a', messages: [{ role: 'user', name: 'bob', content: 'y' }] }),
        'llama-3.3-70b-versatile',
      ),
    );
    assert.deepEqual(body.messages, [{ role: 'user', content: 'y' }]);
    const c = call({ model: 'm', messages: [] });
    assert.equal(presetBody('vllm', PRESETS.vllm, c, 'm'), c.raw);
  });

  it('openrouter: no stream_options injected (usage always comes with the last chunk)', () => {
    const c = call({ model: 'm', stream: true, messages: [] }, true);
    assert.equal(presetBody('openrouter', PRESETS.openrouter, c, 'm'), c.raw);
  });
});

describe('OpenAI-compatible presets: answers and errors', () => {
  it('mistral: a streamed tool call gets its index, model_length reads as length', () => {
    const out = JSON.parse(
      fixChunkJson(
        JSON.stringify({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ id: 'Ab3dE6gH9', function: { name: 'f', arguments: '{}' } }] },
              finish_reason: 'model_length',
            },
          ],
        }),
      ),
    );
    assert.equal(out.choices[0].delta.tool_calls[0].index, 0);
    assert.equal(out.choices[0].finish_reason, 'length');
  });

  it("reads OpenAI's, OpenRouter's and Mistral's error bodies", () => {
    assert.deepEqual(parseCompatibleError(Buffer.from('{"error":{"message":"Rate limit","code":429,"metadata":{}}}')), {
      message: 'Rate limit',
      type: undefined,
      code: null,
      param: null,
    });
    const m = parseCompatibleError(
      Buffer.from(
        JSON.stringify({
          object: 'error',
          message: {
            detail: [{ type: 'extra_forbidden', loc: ['body', 'user'], msg: 'Extra inputs are not permitted' }],
          },
          type: 'invalid_request_message_error',
          param: null,
          code: null,
        }),
      ),
    );
    assert.equal(m.message, 'user: Extra inputs are not permitted');
    assert.equal(m.param, 'user');
    assert.equal(m.type, 'invalid_request_message_error');
    assert.deepEqual(
      parseCompatibleError(Buffer.from('{"message":"Requests rate limit exceeded"}')).message,
      'Requests rate limit exceeded',
    );
    assert.deepEqual(parseCompatibleError(Buffer.from('nope')), {});
  });
});
