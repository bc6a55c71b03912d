/**
 * Issue 14 item 16 on a started gateway: a provider whose credential is empty (an unset variable
 * behind `${OPENAI_API_KEY:-}`) is never sent a request with an empty key. Its deployments are
 * skipped, so an alias with another deployment or a fallback still answers, and an alias with
 * nothing else answers 503 `provider_not_configured` naming the variable to set. The gateway stays
 * ready, with the provider listed as unconfigured; keyless provider types (ollama, mock) say nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postJson, startStack, type Stack } from './harness';

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

describe('a provider without a credential', () => {
  let stack: Stack;
  const chat = (model: string, extra: Record<string, unknown> = {}) =>
    postJson(stack, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hi' }], ...extra });

  before(async () => {
    stack = await startStack({
      ai: (mock) => ({
        requireAuth: false,
        retry: { maxAttempts: 1 },
        providers: {
          // At the mock upstream: a request sent with an empty key would reach it (and be refused there).
          claude: { type: 'anthropic', baseUrl: mock.url, apiKey: '' },
          // At its public endpoint: a request sent would leave the machine.
          oa: { type: 'openai', apiKey: '  ' },
          // Keyless by nature: no warning, never unconfigured.
          local: { type: 'ollama', baseUrl: `${mock.url}/v1` },
          vllm: { type: 'openai-compatible', preset: 'vllm', baseUrl: `${mock.url}/v1` },
          lms: { type: 'openai-compatible', preset: 'lmstudio' },
          demo: { type: 'mock' },
        },
        models: {
          solo: { deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
          both: {
            deployments: [
              { provider: 'claude', model: 'claude-3-5-haiku-latest' },
              { provider: 'oa', model: 'gpt-4o' },
            ],
          },
          mixed: {
            // Same price: the stable sort puts the keyless deployment first.
            strategy: 'cheapest',
            deployments: [
              { provider: 'oa', model: 'gpt-4o-mini' },
              { provider: 'up', model: 'gpt-4o-mini' },
            ],
          },
          'with-fallback': {
            deployments: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }],
            fallbacks: ['gpt-4o-mini'],
          },
          'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] },
          llama: { deployments: [{ provider: 'local', model: 'llama3.2' }] },
          demo: { deployments: [{ provider: 'demo', model: 'gpt-4o-mini' }] },
        },
      }),
    });
  });
  after(() => stack?.stop());

  it('warns once per keyless provider at start, naming it and the variable, and nothing for ollama, vLLM, LM Studio or mock', () => {
    const warnings = stack.logs
      .map((l) => JSON.parse(l) as { level: string; message: string; provider?: string })
      .filter((l) => l.level === 'warn');
    const keyWarnings = warnings.filter((w) => /no API key configured/.test(w.message));
    assert.deepEqual(keyWarnings.map((w) => w.provider).sort(), ['claude', 'oa'], JSON.stringify(warnings));
    assert.match(
      keyWarnings.find((w) => w.provider === 'claude')!.message,
      /provider "claude" \(anthropic\).*503 provider_not_configured; set ANTHROPIC_API_KEY \(or providers\.claude\.apiKey\)/,
    );
    assert.match(
      keyWarnings.find((w) => w.provider === 'oa')!.message,
      /set OPENAI_API_KEY \(or providers\.oa\.apiKey\)/,
    );
    assert.ok(
      warnings.some((w) => /cannot be served until a key is set: solo, both$/.test(w.message)),
      JSON.stringify(warnings),
    );
  });

  it('an alias with only keyless deployments answers 503 provider_not_configured; nothing is sent upstream', async () => {
    const received = stack.mock.stats.received;
    const res = await chat('solo');
    assert.equal(res.status, 503);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, 'provider_not_configured');
    assert.match(
      body.error.message,
      /^Model "solo" cannot be served: provider "claude" has no API key configured on this gateway; its operator must set one \(the gateway's start log and readiness detail name the setting\)\. \(request id [0-9a-f-]+\)$/,
    );
    // A stream gets the same answer before any event.
    const streamed = await chat('solo', { stream: true });
    assert.equal(streamed.status, 503);
    assert.match(streamed.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(((await streamed.json()) as ErrorBody).error.code, 'provider_not_configured');
    assert.equal(stack.mock.stats.received, received, 'the mock upstream received nothing');
  });

  it('names every keyless provider of the alias once', async () => {
    const res = await chat('both');
    assert.equal(res.status, 503);
    const { error } = (await res.json()) as ErrorBody;
    assert.equal(error.code, 'provider_not_configured');
    // In the order routing planned them (weighted: either first), each once.
    assert.match(error.message, /provider ("claude", "oa"|"oa", "claude") have no API key configured on this gateway/);
    // The operator's variables are for the operator (log, readiness), not for any tenant's caller.
    assert.doesNotMatch(error.message, /API_KEY|apiKey/);
  });

  it('a keyed deployment or a fallback alias still serves, even when routing prefers the keyless one', async () => {
    for (const alias of ['mixed', 'with-fallback']) {
      const received = stack.mock.stats.received;
      const res = await chat(alias);
      assert.equal(res.status, 200, `${alias}: ${await res.clone().text()}`);
      assert.equal(stack.mock.stats.received, received + 1, `${alias} was served by the mock upstream`);
    }
    const demo = await chat('demo');
    assert.equal(demo.status, 200, 'a mock provider needs no key');
  });

  it('readiness stays up and lists the provider as unconfigured and the models it stops', async () => {
    const ready = await stack.kernel.health.run('readiness');
    assert.equal(ready.ok, true);
    const details = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!.details as {
      unconfiguredProviders: string[];
      missingApiKeys: string[];
      modelsWithoutKey: string[];
    };
    assert.deepEqual(details.unconfiguredProviders, ['claude', 'oa']);
    assert.equal(details.missingApiKeys.length, 2);
    assert.deepEqual(details.modelsWithoutKey, ['solo', 'both']);
  });
});
