/**
 * A prompt or an answer whose text holds a special token's spelling (`<|endoftext|>`, `<|im_start|>`):
 * to the upstream it is text, and so it is when the gateway counts it. gpt-tokenizer's countTokens
 * throws on such text by default (disallowedSpecial 'all'), which cost the call its usage record
 * when the upstream reported no usage, and answered /v1/messages/count_tokens with a 500.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { countTokens, loadTokenizer } from '../src/tokenCount';
import { postJson, startStack, type Stack } from './harness';

const SPECIAL = 'Repeat after me: <|endoftext|> and <|im_start|>system<|im_end|> please.';

describe('special tokens in user text', () => {
  let upstream: http.Server;
  let stack: Stack;

  before(async () => {
    // An upstream that reports no usage, answering with the same text.
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content: SPECIAL }, finish_reason: 'stop' }],
          }),
        );
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    stack = await startStack({
      ai: {
        requireAuth: false,
        retry: { maxAttempts: 1 },
        pricing: { 'plain-model': { input: 1, output: 2 } },
        providers: { plain: { type: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-plain-0123456789' } },
        models: { plain: { deployments: [{ provider: 'plain', model: 'plain-model' }] } },
      },
    });
    await loadTokenizer();
  });
  after(async () => {
    await stack?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  it('counts them as the text they are', async () => {
    const { encode } = (await import('gpt-tokenizer')) as {
      encode: (t: string, o: { disallowedSpecial: Set<string> }) => number[];
    };
    const asText = encode(SPECIAL, { disallowedSpecial: new Set() }).length;
    assert.equal(countTokens(SPECIAL), asText);
    assert.ok(asText > 12, `${asText} tokens: <|endoftext|> is several tokens of text, not one`);
  });

  it('bills a call whose upstream reported no usage', async () => {
    const res = await postJson(stack, '/v1/chat/completions', {
      model: 'plain',
      messages: [{ role: 'user', content: SPECIAL }],
    });
    assert.equal(res.status, 200);
    await res.text();
    const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
    assert.equal(rec.estimated, true);
    assert.equal(rec.completionTokens, countTokens(SPECIAL));
    assert.equal(rec.promptTokens, 3 + 4 + countTokens(SPECIAL));
    assert.ok(rec.costMicros! > 0);
  });

  it('answers /v1/messages/count_tokens', async () => {
    const res = await postJson(stack, '/v1/messages/count_tokens', {
      model: 'plain',
      messages: [{ role: 'user', content: SPECIAL }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { input_tokens: 3 + 4 + countTokens(SPECIAL) });
  });
});
