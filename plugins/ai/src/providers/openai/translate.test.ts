import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallInput } from '../../types';
import { openAiBody, scanOpenAiAnswer } from './translate';

const input = (body: Record<string, unknown>, stream = false, raw = true): CallInput => ({
  op: 'chat',
  body,
  raw: raw ? Buffer.from(JSON.stringify(body)) : undefined,
  stream,
  clientWantsUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
});

describe('OpenAI request body', () => {
  it('sends the client bytes untouched when nothing changes', () => {
    const c = input({ model: 'm', messages: [] });
    assert.equal(openAiBody(c, 'm'), c.raw);
  });

  it('splices include_usage into a stream body without re-serialising', () => {
    const c = input({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }, true);
    const out = openAiBody(c, 'm') as Buffer;
    assert.ok(Buffer.isBuffer(out));
    assert.deepEqual(JSON.parse(out.toString()), {
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
      stream_options: { include_usage: true },
    });
    const spaced = {
      op: 'chat' as const,
      body: { model: 'm', stream: true },
      raw: Buffer.from('{ "model": "m", "stream": true }\n'),
      stream: true,
      clientWantsUsage: false,
    };
    assert.deepEqual(JSON.parse((openAiBody(spaced, 'm') as Buffer).toString()), {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('re-serialises once to rename the model or merge stream_options', () => {
    const c = input({ model: 'alias', stream: true, stream_options: { foo: 1 }, messages: [] }, true);
    assert.deepEqual(JSON.parse(openAiBody(c, 'real') as string), {
      model: 'real',
      stream: true,
      stream_options: { foo: 1, include_usage: true },
      messages: [],
    });
    assert.equal(JSON.parse(openAiBody(input({ model: 'a', messages: [] }, false, false), 'a') as string).model, 'a');
  });

  it('reads usage, model, id and finish reasons from an answer without parsing it all', () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 'chatcmpl-1',
        model: 'gpt-x',
        choices: [{ message: { content: '"usage": {"fake": 1}' }, finish_reason: 'stop' }, { finish_reason: 'length' }],
        usage: { prompt_tokens: 4, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1 } },
      }),
    );
    const a = scanOpenAiAnswer(body);
    assert.deepEqual(a.usage, { promptTokens: 4, completionTokens: 2, cachedTokens: 1 });
    assert.equal(a.responseModel, 'gpt-x');
    assert.equal(a.responseId, 'chatcmpl-1');
    assert.deepEqual(a.finishReasons, ['stop', 'length']);
    assert.equal(scanOpenAiAnswer(Buffer.from('{"id":"x","data":[]}')).usage, undefined);
  });
});
