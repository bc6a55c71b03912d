import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { Agent } from 'undici';
import { GoogleTokenSource, TokenError, loadServiceAccount } from './auth';
import { GeminiStreamTranslator } from './stream';
import { fromGeminiAnswer, parseRpcError, rpcRetryDelayMs, toGeminiRequest, toGeminiSchema } from './translate';
import { StreamEventError } from '../../engine/errors';

describe('OpenAI → Gemini requests', () => {
  it('system instruction, roles (merged), images, sampling and JSON mode', () => {
    const req = toGeminiRequest({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Use metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        { role: 'user', content: 'And https?' },
        { role: 'assistant', content: 'A cat.' },
      ],
      temperature: 0.2,
      max_completion_tokens: 50,
      stop: 'END',
      seed: 3,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: { n: { type: ['integer', 'null'] } },
            required: ['n'],
          },
        },
      },
    });
    assert.deepEqual(req.systemInstruction, { parts: [{ text: 'Be brief.\n\nUse metric units.' }] });
    assert.deepEqual(req.contents, [
      {
        role: 'user',
        parts: [
          { text: 'What is this?' },
          { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
          { text: 'And https?' },
        ],
      },
      { role: 'model', parts: [{ text: 'A cat.' }] },
    ]);
    assert.deepEqual(req.generationConfig, {
      temperature: 0.2,
      maxOutputTokens: 50,
      stopSequences: ['END'],
      seed: 3,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { n: { type: 'integer', nullable: true } }, required: ['n'] },
    });
  });

  it('tools, tool choice, calls and their results (named by the call they answer)', () => {
    const req = toGeminiRequest({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":3}' },
        { role: 'tool', tool_call_id: 'call_1', content: 'plain text' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Weather of a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, $schema: 'x' },
          },
        },
        { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
    });
    assert.deepEqual(req.contents, [
      { role: 'user', parts: [{ text: 'Weather?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { temp: 3 } } },
          { functionResponse: { name: 'weather', response: { result: 'plain text' } } },
        ],
      },
    ]);
    assert.deepEqual(req.tools, [
      {
        functionDeclarations: [
          {
            name: 'weather',
            description: 'Weather of a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
          { name: 'now' },
        ],
      },
    ]);
    assert.deepEqual(req.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } });
    assert.deepEqual(
      toGeminiRequest({ messages: [], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'none' })
        .toolConfig,
      { functionCallingConfig: { mode: 'NONE' } },
    );
  });

  it('refuses what Gemini cannot take, naming the parameter', () => {
    const err = (body: Record<string, unknown>) => {
      try {
        toGeminiRequest(body);
      } catch (e) {
        return e as GatewayError;
      }
      assert.fail('no error');
    };
    assert.equal(
      err({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }).param,
      'messages[0].tool_call_id',
    );
    assert.equal(
      err({ messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] }).param,
      'messages[0].content[0].type',
    );
    assert.equal(
      err({ messages: [], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'sometimes' }).param,
      'tool_choice',
    );
    assert.deepEqual(toGeminiSchema({ anyOf: [{ type: 'string', const: 'a' }], items: { type: 'number' } }), {
      anyOf: [{ type: 'string' }],
      items: { type: 'number' },
    });
  });
});

describe('Gemini → OpenAI answers', () => {
  it('candidates, function calls with ids, thoughts left out, finish reasons and usage', () => {
    const { json, usage, finishReasons } = fromGeminiAnswer(
      {
        candidates: [
          {
            index: 0,
            content: { parts: [{ text: 'thinking…', thought: true }, { text: 'Hi' }] },
            finishReason: 'STOP',
          },
          { index: 1, content: { parts: [{ functionCall: { name: 'f', args: { a: 1 } } }] }, finishReason: 'STOP' },
          { index: 2, content: { parts: [] }, finishReason: 'SAFETY' },
          { index: 3, content: { parts: [{ text: 'cut' }] }, finishReason: 'MAX_TOKENS' },
        ],
        usageMetadata: {
          promptTokenCount: 10,
          candidatesTokenCount: 5,
          thoughtsTokenCount: 7,
          cachedContentTokenCount: 4,
        },
        modelVersion: 'gemini-2.5-flash-001',
      },
      'alias',
    );
    const choices = json.choices as {
      message: { content: string | null; tool_calls?: { id: string; function: { arguments: string } }[] };
    }[];
    assert.equal(choices[0].message.content, 'Hi');
    assert.match(choices[1].message.tool_calls![0].id, /^call_/);
    assert.equal(choices[1].message.tool_calls![0].function.arguments, '{"a":1}');
    assert.deepEqual(finishReasons, ['stop', 'tool_calls', 'content_filter', 'length']);
    assert.deepEqual(usage, { promptTokens: 10, completionTokens: 12, cachedTokens: 4, reasoningTokens: 7 });
    assert.deepEqual(json.usage, {
      prompt_tokens: 10,
      completion_tokens: 12,
      total_tokens: 22,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    assert.equal(json.model, 'gemini-2.5-flash-001');
  });

  it('a blocked prompt answers content_filter', () => {
    assert.deepEqual(fromGeminiAnswer({ promptFeedback: { blockReason: 'SAFETY' } }, 'm').finishReasons, [
      'content_filter',
    ]);
  });

  it('google.rpc.Status errors and RetryInfo', () => {
    const body = Buffer.from(
      JSON.stringify({
        error: {
          code: 400,
          message: 'Invalid value at contents[0]',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.BadRequest',
              fieldViolations: [{ field: 'contents[0].parts', description: 'x' }],
            },
          ],
        },
      }),
    );
    assert.deepEqual(parseRpcError(body), {
      message: 'Invalid value at contents[0]',
      type: 'invalid_request_error',
      code: 'invalid_argument',
      param: 'contents[0].parts',
    });
    assert.equal(
      rpcRetryDelayMs(
        Buffer.from(
          JSON.stringify({
            error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }] },
          }),
        ),
      ),
      1500,
    );
    assert.equal(rpcRetryDelayMs(Buffer.from('{}')), undefined);
    assert.deepEqual(
      parseRpcError(Buffer.from('[{"error":{"code":404,"message":"no model","status":"NOT_FOUND"}}]')).code,
      'not_found',
    );
  });

  it('stream: an error event before any content fails the attempt; the end writes usage and [DONE]', () => {
    const t = new GeminiStreamTranslator('m', false);
    assert.throws(
      () => t.push(Buffer.from('data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\r\n\r\n')),
      StreamEventError,
    );
    const ok = new GeminiStreamTranslator('m', true);
    const out = String(
      ok.push(
        Buffer.from(
          'data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1}}\r\n\r\n',
        ),
      ),
    );
    assert.match(out, /"content":"Hi"/);
    assert.equal(ok.done, false, 'complete only when the body ends');
    assert.match(String(ok.end()), /"usage":\{"prompt_tokens":2,"completion_tokens":1[^]*data: \[DONE\]/);
    assert.equal(ok.done, true);
    const cut = new GeminiStreamTranslator('m', false);
    cut.push(Buffer.from('data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}\n\n'));
    assert.equal(cut.end(), null, 'no finish reason: not complete');
    assert.equal(cut.done, false);
  });
});

describe('Vertex AI service-account tokens', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  async function tokenServer(status: number, body: unknown) {
    let grants = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        grants++;
        // Slow enough that concurrent callers overlap.
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        }, 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
      grants: () => grants,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  it('concurrent callers share one exchange, and the token is reused', async () => {
    const srv = await tokenServer(200, { access_token: 'tok-1', expires_in: 3599 });
    const agent = new Agent();
    try {
      const source = new GoogleTokenSource(
        loadServiceAccount(JSON.stringify({ client_email: 'a@b', private_key: pem, token_uri: srv.url })),
        agent,
      );
      assert.deepEqual(await Promise.all([source.get(), source.get(), source.get()]), ['tok-1', 'tok-1', 'tok-1']);
      assert.equal(await source.get(), 'tok-1');
      assert.equal(srv.grants(), 1);
    } finally {
      await agent.close();
      await srv.close();
    }
  });

  it('a refused grant is a TokenError with the endpoint status and error, and is not cached', async () => {
    const srv = await tokenServer(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const agent = new Agent();
    try {
      const source = new GoogleTokenSource(
        loadServiceAccount(JSON.stringify({ client_email: 'a@b', private_key: pem, token_uri: srv.url })),
        agent,
      );
      await assert.rejects(
        source.get(),
        (e: unknown) =>
          e instanceof TokenError &&
          e.status === 400 &&
          /invalid_grant — Invalid JWT Signature/.test(e.message) &&
          !e.message.includes('PRIVATE KEY'),
      );
      await assert.rejects(source.get(), TokenError);
      assert.equal(srv.grants(), 2);
    } finally {
      await agent.close();
      await srv.close();
    }
  });

  it('refuses a key without client_email or private_key, and text that is neither JSON nor a file', () => {
    assert.throws(() => loadServiceAccount('{"client_email":"a@b"}'), /client_email or private_key/);
    assert.throws(() => loadServiceAccount('/no/such/file.json'), /ENOENT/);
  });
});
