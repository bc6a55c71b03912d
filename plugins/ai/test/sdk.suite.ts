import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { completionText } from '../../../bench/src/mock-upstream/content';
import { MOCK_KEY, metricValue, postJson, startStack, type Backend, type Stack } from './harness';

/**
 * The official openai SDK (v6) against the gateway: chat, streaming, embeddings, models and the
 * error classes, with the usage records the requests produce.
 */
export function sdkSuite(backend: Backend): void {
  describe(`OpenAI SDK compatibility (${backend})`, () => {
    let stack: Stack;
    let client: OpenAI;
    before(async () => {
      stack = await startStack({
        backend,
        ai: (mock) => ({
          requireAuth: false,
          bodyLimit: '64kb',
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
          providers: {
            dead: { type: 'openai', baseUrl: 'http://127.0.0.1:9/v1' },
            hasty: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: MOCK_KEY, timeouts: { firstByteMs: 200 } },
          },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
            'text-embedding-3-small': { deployments: [{ provider: 'up', model: 'text-embedding-3-small' }] },
            renamed: { deployments: [{ provider: 'up', model: 'upstream-name' }] },
            slow: { deployments: [{ provider: 'hasty', model: 'slow-upstream' }] },
            dead: { deployments: [{ provider: 'dead', model: 'gpt-4o-mini' }] },
          },
        }),
      });
      client = new OpenAI({ apiKey: 'unused-without-auth', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    });
    after(() => stack.stop());

    it('answers a chat completion and records its usage and cost', async () => {
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] })
        .withResponse();
      assert.equal(data.choices[0].message.content, completionText(8));
      assert.equal(data.choices[0].finish_reason, 'stop');
      assert.equal(data.usage?.completion_tokens, 8);
      assert.ok(Number(response.headers.get('x-aihub-overhead-ms')) >= 0);
      const requestId = response.headers.get('x-request-id')!;
      const rec = await stack.usage.waitFor(requestId);
      assert.equal(rec.status, 'success');
      assert.equal(rec.model, 'gpt-4o-mini');
      assert.equal(rec.provider, 'up');
      assert.equal(rec.deployment, 'up/gpt-4o-mini');
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.promptTokens, data.usage?.prompt_tokens);
      assert.equal(rec.estimated, false);
      assert.equal(rec.priced, true);
      assert.ok(rec.costMicros !== null && rec.costMicros > 0, `cost ${rec.costMicros}`);
      assert.equal(rec.inputCostMicros! + rec.cachedCostMicros! + rec.outputCostMicros!, rec.costMicros);
      assert.equal(rec.clientRequestId, null);
      assert.equal(rec.stream, false);
      assert.equal(rec.ttftMs, null);
      assert.equal(rec.tenantId, null);
    });

    it('gives every request its own usage record id, even when the caller reuses an x-request-id', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await postJson(
          stack,
          '/v1/chat/completions',
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
          { 'x-request-id': 'reused-id-1' },
        );
        assert.equal(res.headers.get('x-request-id'), 'reused-id-1');
        await res.arrayBuffer();
      }
      await stack.usage.waitFor('reused-id-1');
      await new Promise((r) => setTimeout(r, 100));
      for (const r of stack.usage.records) if (r.clientRequestId === 'reused-id-1') ids.push(r.requestId);
      assert.equal(ids.length, 2);
      assert.notEqual(ids[0], ids[1]);
    });

    it('sends the upstream model name of the deployment, not the alias', async () => {
      const data = await client.chat.completions.create({
        model: 'renamed',
        messages: [{ role: 'user', content: 'x' }],
      });
      assert.equal(data.model, 'upstream-name');
      const sent = stack.mock.requests.at(-1)!;
      assert.equal((sent.body as { model: string }).model, 'upstream-name');
      assert.equal(sent.headers.authorization, 'Bearer sk-test-upstream-secret-0123456789');
    });

    it('streams chunks as they come and hides the usage chunk the client did not ask for', async () => {
      const { data: stream, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Stream please' }] })
        .withResponse();
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.match(
        response.headers.get('x-aihub-overhead-ms') ?? '',
        /^\d+\.\d{3}$/,
        'the gateway time goes out with the stream headers',
      );
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        assert.ok(chunk.choices.length > 0, 'no usage-only chunk for a client that did not ask for it');
        text += chunk.choices[0].delta.content ?? '';
      }
      assert.equal(text, completionText(8));
      assert.equal(chunks, 10);
      const sent = stack.mock.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
      assert.equal(sent.stream_options?.include_usage, true, 'the gateway asks the upstream for usage');
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.status, 'success');
      assert.equal(rec.stream, true);
      assert.equal(rec.completionTokens, 8);
      assert.equal(rec.estimated, false);
      assert.ok(rec.ttftMs !== null && rec.ttftMs >= 0);
    });

    it('passes the usage chunk through when the client asks for it', async () => {
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Usage' }],
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      assert.equal(usage?.completion_tokens, 8);
    });

    it('answers embeddings (the SDK asks for base64 and decodes it)', async () => {
      const { data, response } = await client.embeddings
        .create({ model: 'text-embedding-3-small', input: ['one', 'two'] })
        .withResponse();
      assert.equal(data.data.length, 2);
      assert.equal(data.data[0].embedding.length, 8);
      assert.ok(data.data[0].embedding.every((x) => typeof x === 'number' && Math.abs(x) <= 1));
      const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
      assert.equal(rec.endpoint, 'embeddings');
      assert.equal(rec.promptTokens, data.usage.prompt_tokens);
    });

    it('lists and retrieves models', async () => {
      const page = await client.models.list();
      const ids = page.data.map((m) => m.id).sort();
      assert.deepEqual(ids, ['dead', 'gpt-4o-mini', 'renamed', 'slow', 'text-embedding-3-small']);
      const one = await client.models.retrieve('renamed');
      assert.equal(one.id, 'renamed');
      assert.equal(one.object, 'model');
      await assert.rejects(client.models.retrieve('nope'), OpenAI.NotFoundError);
    });

    it('rejects an unknown model with NotFoundError model_not_found, and bad input with BadRequestError and param', async () => {
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-unknown', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.NotFoundError);
          assert.equal(err.code, 'model_not_found');
          return true;
        },
      );
      await assert.rejects(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.equal(err.param, 'messages');
        assert.equal(err.type, 'invalid_request_error');
        return true;
      });
      await assert.rejects(
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x' }],
          temperature: 7,
        }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.BadRequestError);
          assert.equal(err.param, 'temperature');
          return true;
        },
      );
      const res = await postJson(stack, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { param: string; code: string; type: string } };
      assert.deepEqual(
        [body.error.param, body.error.code, body.error.type],
        ['model', 'missing_required_parameter', 'invalid_request_error'],
      );
      const broken = await stack.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"model":',
      });
      assert.equal(broken.status, 400);
      await assert.rejects(
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x'.repeat(100_000) }],
        }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError);
          assert.equal(err.status, 413);
          assert.equal(err.type, 'invalid_request_error');
          return true;
        },
      );
    });

    it('maps upstream failures to the SDK error classes', async () => {
      stack.mock.setFailure({ status: 429, retryAfter: 30, match: { model: 'gpt-4o-mini' } });
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.RateLimitError, String(err));
          assert.equal(err.headers.get('retry-after'), '30');
          return true;
        },
      );
      stack.mock.setFailure({ status: 503, times: 2, match: { model: 'gpt-4o-mini' } });
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.InternalServerError);
          assert.equal(err.status, 502);
          assert.equal(err.code, 'upstream_error');
          return true;
        },
      );
      stack.mock.setFailure({
        status: 400,
        message: "Invalid value for 'logit_bias'.",
        match: { model: 'gpt-4o-mini' },
      });
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.BadRequestError);
          assert.match(err.message, /logit_bias/);
          return true;
        },
      );
      assert.ok(
        ((await metricValue(stack, 'aihub_ai_requests_total', {
          model: 'gpt-4o-mini',
          provider: 'up',
          status: 'error',
        })) ?? 0) >= 3,
      );
    });

    it('answers 504 when the upstream does not answer in time, 502 when it cannot be reached', async () => {
      stack.mock.setFailure({ delayMs: 5000, times: 2, match: { model: 'slow-upstream' } });
      const started = Date.now();
      await assert.rejects(
        client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError);
          assert.equal(err.status, 504);
          assert.equal(err.code, 'upstream_timeout');
          return true;
        },
      );
      // undici's timers tick every ~0.5 s: each 200 ms attempt ends within about a second.
      assert.ok(Date.now() - started < 3500, 'two short attempts, not the 5 s upstream delay');
      await assert.rejects(
        client.chat.completions.create({ model: 'dead', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.InternalServerError);
          assert.equal(err.status, 502);
          assert.equal(err.code, 'upstream_unreachable');
          assert.doesNotMatch(err.message, /127\.0\.0\.1|:9/);
          return true;
        },
      );
    });
  });
}
