/**
 * An upstream that reports usage no gateway can bill as given (negative counts, `1e999`, a string, a
 * cache count larger than the prompt): the call is still answered, and its usage record is billed
 * with non-negative whole counts, counted by the gateway and marked estimated where the upstream's
 * count was not a number of tokens, and a cost that is never negative.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postJson, startStack, type Stack } from './harness';

/** The usage object of the next answer, written as raw JSON text (so `1e999` reaches the parser). */
let nextUsage = '{}';

function answer(stream: boolean, usage: string): string {
  const message = '{"role":"assistant","content":"Hello there, friend."}';
  if (!stream)
    return `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":${message},"finish_reason":"stop"}],"usage":${usage}}`;
  return (
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello there, friend."},"finish_reason":null}]}\n\n` +
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n` +
    `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":${usage}}\n\n` +
    'data: [DONE]\n\n'
  );
}

describe('usage an upstream reports that cannot be billed as given', () => {
  let upstream: http.Server;
  let stack: Stack;

  before(async () => {
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
        res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        res.end(answer(stream, nextUsage));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    stack = await startStack({
      ai: {
        requireAuth: false,
        retry: { maxAttempts: 1 },
        pricing: { 'odd-model': { input: 1, output: 2, cachedInput: 0.5 } },
        providers: { odd: { type: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-odd-0123456789' } },
        models: { odd: { deployments: [{ provider: 'odd', model: 'odd-model' }] } },
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  const cases: { name: string; usage: string; estimated: boolean; prompt?: number; completion?: number }[] = [
    {
      name: 'negative counts',
      usage: '{"prompt_tokens":-500,"completion_tokens":-7,"total_tokens":-507}',
      estimated: true,
    },
    {
      name: 'an overflowing number',
      usage: '{"prompt_tokens":1e999,"completion_tokens":5}',
      estimated: true,
      completion: 5,
    },
    {
      name: 'a string and a fraction',
      usage: '{"prompt_tokens":"12","completion_tokens":4.6}',
      estimated: true,
      completion: 5,
    },
    {
      name: 'a negative cache count',
      usage: '{"prompt_tokens":30,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":-1000}}',
      estimated: false,
      prompt: 30,
      completion: 4,
    },
    {
      name: 'a cache count larger than the prompt',
      usage: '{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":9000}}',
      estimated: false,
      prompt: 10,
      completion: 4,
    },
  ];

  for (const stream of [false, true])
    for (const c of cases)
      it(`${c.name} (${stream ? 'stream' : 'complete answer'})`, async () => {
        nextUsage = c.usage;
        const res = await postJson(stack, '/v1/chat/completions', {
          model: 'odd',
          stream,
          ...(stream ? { stream_options: { include_usage: true } } : {}),
          messages: [{ role: 'user', content: 'Say hello to a friend, please.' }],
        });
        assert.equal(res.status, 200);
        await res.text();
        const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
        for (const n of [rec.promptTokens, rec.completionTokens, rec.cachedTokens, rec.totalTokens])
          assert.ok(Number.isSafeInteger(n) && n >= 0, `${n} is a whole, non-negative count`);
        assert.equal(rec.totalTokens, rec.promptTokens + rec.completionTokens);
        assert.ok(rec.cachedTokens <= rec.promptTokens || c.name.includes('larger'), 'cache within the prompt');
        assert.equal(rec.estimated, c.estimated);
        if (c.prompt !== undefined) assert.equal(rec.promptTokens, c.prompt);
        else assert.ok(rec.promptTokens > 0, 'the prompt is counted by the gateway');
        if (c.completion !== undefined) assert.equal(rec.completionTokens, c.completion);
        else assert.ok(rec.completionTokens > 0, 'the completion is counted by the gateway');
        assert.equal(rec.priced, true);
        assert.ok(Number.isSafeInteger(rec.costMicros) && rec.costMicros! > 0, `cost ${rec.costMicros} is positive`);
        // The price is per million tokens in dollars (1 input, 2 output): micros = tokens × rate, at most.
        assert.ok(rec.costMicros! <= rec.promptTokens * 1 + rec.completionTokens * 2 + 1);
      });
});
