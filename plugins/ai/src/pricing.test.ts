import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInPrice, costMicros, resolvePrice } from './pricing';

describe('prices', () => {
  it('finds built-in prices per provider, and none for local or unknown models', () => {
    const mini = builtInPrice('openai', 'gpt-4o-mini')!;
    assert.equal(mini.input, 0.15);
    assert.equal(mini.output, 0.6);
    assert.equal(mini.cachedInput, 0.075);
    assert.ok(builtInPrice('anthropic', 'claude-3-5-haiku-latest'));
    assert.ok(builtInPrice('azure-openai', 'gpt-4o'));
    assert.ok(builtInPrice('mock', 'gpt-4o-mini'), 'the mock is priced as the model it imitates');
    assert.equal(builtInPrice('mock', 'text-embedding-3-small')!.input, 0.02);
    assert.equal(builtInPrice('ollama', 'llama3.2'), null);
    assert.equal(builtInPrice('openai', 'no-such-model-xyz'), null);
  });

  it('prefers the deployment override, then config by model, then by alias', () => {
    const pricing = { 'gpt-4o-mini': { input: 1, output: 2 }, alias: { input: 3, output: 4 } };
    assert.equal(resolvePrice({ providerType: 'openai', model: 'gpt-4o-mini', alias: 'alias', override: { input: 9, output: 9 } }, pricing)!.input, 9);
    assert.equal(resolvePrice({ providerType: 'openai', model: 'gpt-4o-mini', alias: 'alias' }, pricing)!.input, 1);
    assert.equal(resolvePrice({ providerType: 'ollama', model: 'llama', alias: 'alias' }, pricing)!.input, 3);
    assert.equal(resolvePrice({ providerType: 'ollama', model: 'llama', alias: 'x' }, {}), null);
  });

  it('computes integer micro-dollars with cached tokens at their price', () => {
    const p = { input: 2.5, output: 10, cachedInput: 1.25, source: 'config' as const };
    assert.equal(costMicros(p, { promptTokens: 1000, completionTokens: 100, cachedTokens: 400 }), 600 * 2.5 + 400 * 1.25 + 1000);
    assert.equal(costMicros(p, { promptTokens: 1, completionTokens: 0, cachedTokens: 0 }), 3);
    assert.ok(Number.isInteger(costMicros({ input: 0.15, output: 0.6, cachedInput: 0.075, source: 'config' }, { promptTokens: 7, completionTokens: 3, cachedTokens: 1 })));
  });
});
