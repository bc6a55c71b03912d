import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startOtlpReceiver, type OtlpReceiver } from '@aihub/core/testing';
import {
  MOCK_KEY,
  fakeCache,
  metricLines,
  metricValue,
  postJson,
  startStack,
  type Backend,
  type Stack,
} from './harness';

const tenant = (id: string, settings: Record<string, unknown> = {}) => ({
  'x-test-tenant': id,
  'x-test-user': 'u',
  'x-test-settings': JSON.stringify(settings),
});

/** Tenant transforms, model access, prices, credential hygiene, metrics and GenAI spans. */
export function contentSuite(backend: Backend): void {
  describe(`tenant transforms, prices and credential hygiene (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({
        backend,
        mock: { record: 50 },
        plugins: [fakeCache],
        ai: (mock) => ({
          requireAuth: false,
          retry: { maxAttempts: 1 },
          pricing: { 'my-priced-model': { input: 1, output: 2 } },
          providers: {
            badkey: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: 'sk-wrong-key-abcdef123456' },
            userinfo: {
              type: 'openai',
              baseUrl: 'http://admin:hunter2secret@127.0.0.1:9/v1',
              apiKey: 'sk-never-shown-0000',
            },
          },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
            other: { deployments: [{ provider: 'up', model: 'gpt-4o' }] },
            custom: { deployments: [{ provider: 'up', model: 'my-custom-model' }] },
            priced: { deployments: [{ provider: 'up', model: 'my-priced-model' }] },
            badkey: { deployments: [{ provider: 'badkey', model: 'gpt-4o-mini' }] },
            userinfo: { deployments: [{ provider: 'userinfo', model: 'gpt-4o-mini' }] },
            'org/slashed-model': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
          },
        }),
      });
    });
    after(() => stack.stop());

    const sent = () =>
      stack.mock.requests.at(-1)!.body as {
        messages: { role: string; content: unknown }[];
        metadata?: unknown;
        aihub_variables?: unknown;
      };
    const ask = (model: string, headers: Record<string, string>, body: Record<string, unknown> = {}) =>
      postJson(
        stack,
        '/v1/chat/completions',
        { model, messages: [{ role: 'user', content: 'Hello' }], ...body },
        headers,
      );

    it('hides models the tenant may not use (404, like unknown ones) and lists only allowed ones', async () => {
      const h = tenant('t-limited', { allowedModels: ['gpt-4o-mini'] });
      const res = await ask('other', h);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'model_not_found');
      assert.equal((await ask('gpt-4o-mini', h)).status, 200);
      const ids = (
        (await (await stack.fetch('/v1/models', { headers: h })).json()) as { data: { id: string }[] }
      ).data.map((m) => m.id);
      assert.deepEqual(ids, ['gpt-4o-mini']);
      assert.equal((await stack.fetch('/v1/models/other', { headers: h })).status, 404);
      assert.equal(
        (await stack.fetch('/v1/models/other', { headers: tenant('t-open', { allowedModels: ['*'] }) })).status,
        200,
      );
      const slashed = await stack.fetch('/v1/models/org/slashed-model');
      assert.equal(slashed.status, 200);
      assert.equal(((await slashed.json()) as { id: string }).id, 'org/slashed-model');
    });

    it('injects the tenant system prompt and renders prompt templates, removing gateway fields', async () => {
      const settings = {
        systemPrompt: 'You are ACME support.',
        promptTemplates: { support: 'Help {{customer}} with {{product}}.' },
      };
      let res = await ask('gpt-4o-mini', tenant('t-acme', settings), {
        metadata: { aihub_template: 'support', aihub_var_product: 'Widgets', order: '42' },
        aihub_variables: { customer: 'Ann' },
      });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const body = sent();
      assert.deepEqual(body.messages, [
        { role: 'system', content: 'You are ACME support.' },
        { role: 'system', content: 'Help Ann with Widgets.' },
        { role: 'user', content: 'Hello' },
      ]);
      assert.deepEqual(body.metadata, { order: '42' });
      assert.equal(body.aihub_variables, undefined);

      res = await ask('gpt-4o-mini', tenant('t-acme', settings), {
        metadata: { aihub_template: 'support' },
        aihub_variables: { customer: 'Ann' },
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: { param: string } }).error.param, 'aihub_variables.product');
      res = await ask('gpt-4o-mini', tenant('t-acme', settings), { metadata: { aihub_template: 'nope' } });
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'template_not_found');
    });

    it('redacts e-mails, phone numbers and Luhn-valid card numbers for tenants that ask', async () => {
      const text = 'Mail a.b@example.com, card 4111 1111 1111 1111, ref 4111 1111 1111 1112, call +1 415 555 2671';
      let res = await ask('gpt-4o-mini', tenant('t-pii', { pii: { redactPrompts: true } }), {
        messages: [{ role: 'user', content: [{ type: 'text', text }] }],
      });
      await res.arrayBuffer();
      assert.deepEqual(sent().messages[0].content, [
        {
          type: 'text',
          text: 'Mail [REDACTED_EMAIL], card [REDACTED_CARD], ref 4111 1111 1111 1112, call [REDACTED_PHONE]',
        },
      ]);
      res = await ask('gpt-4o-mini', tenant('t-plain'), { messages: [{ role: 'user', content: text }] });
      await res.arrayBuffer();
      assert.equal(sent().messages[0].content, text);
    });

    it('flags a model without a price (null cost, metric, one warning) and prices configured ones exactly', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await ask('custom', {});
        await res.arrayBuffer();
        ids.push(res.headers.get('x-request-id')!);
      }
      const rec = await stack.usage.waitFor(ids[1]);
      assert.equal(rec.costMicros, null);
      assert.equal(rec.priced, false);
      assert.equal(await metricValue(stack, 'aihub_ai_unpriced_requests_total', { model: 'custom' }), 2);
      assert.equal(
        stack.logs.filter((l) => l.includes('has no price') && l.includes('my-custom-model') && l.includes('"warn"'))
          .length,
        1,
      );

      const res = await ask('priced', {});
      await res.arrayBuffer();
      const p = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(p.costMicros, p.promptTokens * 1 + p.completionTokens * 2);
      assert.equal(p.priced, true);
    });

    it('never shows provider credentials in errors or logs', async () => {
      const client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
      for (const model of ['badkey', 'userinfo']) {
        await assert.rejects(
          client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }),
          (err: unknown) => {
            assert.ok(err instanceof OpenAI.APIError);
            assert.equal(err.status, 502);
            assert.doesNotMatch(
              JSON.stringify(err.error) + err.message,
              /sk-wrong|sk-wron|abcdef123456|hunter2|sk-never/,
            );
            return true;
          },
        );
      }
      const all = stack.logs.join('\n');
      assert.ok(all.includes('upstream attempt failed'), 'the failures were logged');
      for (const secret of [MOCK_KEY, 'sk-wrong-key-abcdef123456', 'sk-wron', 'hunter2secret', 'sk-never-shown-0000']) {
        assert.ok(!all.includes(secret), `logs contain ${secret}`);
      }
    });

    it('publishes one record for a cache hit, without calling the provider', async () => {
      const before = stack.mock.stats.received;
      const res = await ask('gpt-4o-mini', { 'x-test-cache-hit': '1' });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { cached: true });
      const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.cacheHit, true);
      assert.equal(rec.status, 'success');
      assert.equal(rec.totalTokens, 7);
      assert.equal(rec.costMicros, 0);
      assert.equal(rec.provider, null);
      assert.equal(stack.mock.stats.received, before);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(stack.usage.records.filter((r) => r.requestId === rec.requestId).length, 1);
    });

    it('exports the AI metrics under their dashboard names', async () => {
      const s = await postJson(stack, '/v1/chat/completions', {
        model: 'gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      await s.text();
      await stack.usage.waitFor(s.headers.get('x-request-id')!);
      assert.ok(
        (await metricValue(stack, 'aihub_ai_requests_total', {
          model: 'gpt-4o-mini',
          provider: 'up',
          status: 'success',
        }))! >= 1,
      );
      assert.ok(
        (await metricValue(stack, 'aihub_ai_tokens_total', {
          model: 'gpt-4o-mini',
          provider: 'up',
          type: 'completion',
        }))! >= 8,
      );
      assert.ok((await metricValue(stack, 'aihub_ai_cost_usd_total', { model: 'gpt-4o-mini', provider: 'up' }))! > 0);
      assert.ok(
        (await metricValue(stack, 'aihub_ai_time_to_first_token_seconds_count', {
          model: 'gpt-4o-mini',
          provider: 'up',
        }))! >= 1,
      );
      assert.ok(
        (await metricValue(stack, 'aihub_ai_upstream_duration_seconds_count', {
          provider: 'up',
          deployment: 'up/gpt-4o-mini',
          status: '200',
        }))! >= 1,
      );
      assert.equal(await metricValue(stack, 'aihub_circuit_breaker_state', { deployment: 'up/gpt-4o-mini' }), 0);
      for (const name of [
        'aihub_ai_retries_total',
        'aihub_ai_fallbacks_total',
        'aihub_ai_experiment_requests_total',
        'aihub_ai_experiment_feedback_total',
        'aihub_ai_experiment_feedback_score_sum',
      ]) {
        const text = await (await stack.fetch('/metrics')).text();
        assert.ok(text.includes(`# TYPE ${name}`) || text.includes(`# HELP ${name}`), `${name} is registered`);
      }
      assert.ok((await metricLines(stack, 'aihub_ai_requests_total')).length > 0);
    });
  });

  describe(`GenAI spans and trace propagation (${backend})`, () => {
    let stack: Stack;
    let collector: OtlpReceiver;
    let spans: OtlpReceiver['spans'];
    before(async () => {
      collector = await startOtlpReceiver();
      spans = collector.spans;
      stack = await startStack({
        backend,
        ai: { requireAuth: false },
        config: { telemetry: { tracing: { endpoint: `${collector.url}/v1/traces`, sampleRatio: 1 } } },
      });
    });
    after(async () => {
      await stack.stop();
      await collector.close();
    });

    it('sends traceparent upstream and records a `chat {model}` client span with GenAI attributes', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await postJson(
        stack,
        '/v1/chat/completions',
        { model: 'gpt-4o-mini', max_tokens: 50, temperature: 0.5, messages: [{ role: 'user', content: 'x' }] },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      );
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const upstream = stack.mock.requests.at(-1)!.headers.traceparent as string;
      assert.match(upstream, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      await stack.stop();
      const span = spans.find((s) => s.name === 'chat gpt-4o-mini');
      assert.ok(span, `spans: ${spans.map((s) => s.name).join(', ')}`);
      assert.equal(span.traceId.toLowerCase(), traceId);
      assert.equal(span.attributes['gen_ai.operation.name'], 'chat');
      assert.equal(span.attributes['gen_ai.provider.name'], 'openai');
      assert.equal(span.attributes['gen_ai.system'], 'openai');
      assert.equal(span.attributes['gen_ai.request.model'], 'gpt-4o-mini');
      assert.equal(span.attributes['gen_ai.response.model'], 'gpt-4o-mini');
      assert.equal(Number(span.attributes['gen_ai.usage.output_tokens']), 8);
      assert.ok(Number(span.attributes['gen_ai.usage.input_tokens']) > 0);
      assert.equal(Number(span.attributes['gen_ai.request.max_tokens']), 50);
      assert.equal(Number(span.attributes['gen_ai.request.temperature']), 0.5);
      assert.match(upstream, new RegExp(`-01$`));
    });
  });
}
