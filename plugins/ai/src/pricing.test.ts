import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInPrice, costMicros, costSplit, resolvePrice } from './pricing';
import { usageFromAnthropic } from './providers/anthropic/translate';
import { usageFromConverse } from './providers/bedrock/translate';
import { usageFromGemini } from './providers/gemini/translate';
import { usageFrom } from './providers/openai/stream';

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
    assert.equal(
      resolvePrice(
        { providerType: 'openai', model: 'gpt-4o-mini', alias: 'alias', override: { input: 9, output: 9 } },
        pricing,
      )!.input,
      9,
    );
    assert.equal(resolvePrice({ providerType: 'openai', model: 'gpt-4o-mini', alias: 'alias' }, pricing)!.input, 1);
    assert.equal(resolvePrice({ providerType: 'ollama', model: 'llama', alias: 'alias' }, pricing)!.input, 3);
    assert.equal(resolvePrice({ providerType: 'ollama', model: 'llama', alias: 'x' }, {}), null);
  });

  it('computes integer micro-dollars with cached tokens at their price', () => {
    const p = { input: 2.5, output: 10, cachedInput: 1.25, source: 'config' as const };
    assert.equal(
      costMicros(p, { promptTokens: 1000, completionTokens: 100, cachedTokens: 400 }),
      600 * 2.5 + 400 * 1.25 + 1000,
    );
    assert.equal(costMicros(p, { promptTokens: 1, completionTokens: 0, cachedTokens: 0 }), 3);
    assert.ok(
      Number.isInteger(
        costMicros(
          { input: 0.15, output: 0.6, cachedInput: 0.075, source: 'config' },
          { promptTokens: 7, completionTokens: 3, cachedTokens: 1 },
        ),
      ),
    );
  });
});

/**
 * A cost per provider, from the usage as the provider reports it (read by its adapter's translation)
 * and its list price in the bundled table, against figures computed by hand. Micro-dollars: tokens ×
 * USD per 1M tokens.
 */
describe('costs per provider (cached and uncached, hand-computed)', () => {
  it('openai gpt-4o: cached input at half price; reasoning tokens are output', () => {
    const p = builtInPrice('openai', 'gpt-4o')!;
    assert.deepEqual([p.input, p.cachedInput, p.output], [2.5, 1.25, 10]);
    const cached = usageFrom({
      prompt_tokens: 2000,
      completion_tokens: 300,
      prompt_tokens_details: { cached_tokens: 1500 },
      completion_tokens_details: { reasoning_tokens: 100 },
    })!;
    assert.equal(cached.reasoningTokens, 100);
    assert.equal(costMicros(p, cached), 500 * 2.5 + 1500 * 1.25 + 300 * 10); // 6125
    assert.equal(costMicros(p, usageFrom({ prompt_tokens: 2000, completion_tokens: 300 })!), 8000);
  });

  it('anthropic claude-sonnet-4-5: reads, 5-minute and 1-hour writes each at their rate; the long-context tier', () => {
    const p = builtInPrice('anthropic', 'claude-sonnet-4-5')!;
    assert.deepEqual([p.input, p.cachedInput, p.cacheWrite, p.cacheWrite1h, p.output], [3, 0.3, 3.75, 6, 15]);
    const u = usageFromAnthropic({
      input_tokens: 100,
      cache_read_input_tokens: 2000,
      cache_creation_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 400 },
      output_tokens: 50,
    })!;
    assert.deepEqual(u, {
      promptTokens: 3100,
      completionTokens: 50,
      cachedTokens: 2000,
      cacheWriteTokens: 1000,
      cacheWrite1hTokens: 400,
    });
    assert.deepEqual(costSplit(p, u), { input: 100 * 3 + 600 * 3.75 + 400 * 6, cached: 2000 * 0.3, output: 50 * 15 });
    assert.equal(costMicros(p, u), 6300);
    assert.equal(costMicros(p, usageFromAnthropic({ input_tokens: 100, output_tokens: 50 })!), 1050);
    // Over 200k prompt tokens every kind is billed at the long-context rate.
    assert.equal(
      costMicros(p, usageFromAnthropic({ input_tokens: 250_000, output_tokens: 1000 })!),
      250_000 * 6 + 1000 * 22.5,
    );
  });

  it('gemini 2.5 pro: cached content, thoughts as output, and the >200k tier', () => {
    const p = builtInPrice('gemini', 'gemini-2.5-pro')!;
    assert.deepEqual([p.input, p.cachedInput, p.output], [1.25, 0.125, 10]);
    const u = usageFromGemini({
      promptTokenCount: 10_000,
      cachedContentTokenCount: 8000,
      candidatesTokenCount: 200,
      thoughtsTokenCount: 300,
    })!;
    assert.deepEqual(u, { promptTokens: 10_000, completionTokens: 500, cachedTokens: 8000, reasoningTokens: 300 });
    assert.equal(costMicros(p, u), 2000 * 1.25 + 8000 * 0.125 + 500 * 10); // 8500
    assert.equal(
      costMicros(p, usageFromGemini({ promptTokenCount: 300_000, candidatesTokenCount: 1000 })!),
      300_000 * 2.5 + 1000 * 15,
    );
    assert.equal(
      costMicros(p, usageFromGemini({ promptTokenCount: 200_000, candidatesTokenCount: 1000 })!),
      200_000 * 1.25 + 1000 * 10,
      '200k itself is the base tier',
    );
    assert.equal(builtInPrice('vertex-ai', 'gemini-2.5-pro')!.input, 1.25);
  });

  it("presets: deepseek's cache hits at their rate; mistral without a cache rate", () => {
    const ds = builtInPrice('openai-compatible', 'deepseek-chat', 'deepseek')!;
    assert.deepEqual([ds.input, ds.cachedInput, ds.output], [0.27, 0.07, 1.1]);
    const u = usageFrom({ prompt_tokens: 1000, prompt_cache_hit_tokens: 600, completion_tokens: 100 })!;
    assert.equal(u.cachedTokens, 600);
    assert.equal(costMicros(ds, u), Math.round(400 * 0.27) + Math.round(600 * 0.07) + Math.round(100 * 1.1)); // 260
    // Looked up in DeepSeek's off-peak hours (16:30–00:30 UTC) it is still the standard rate: a
    // price is looked up once and used all day (this failed whenever the suite ran in the evening).
    for (const at of ['2026-12-07T17:00:00Z', '2026-12-07T23:59:00Z', '2026-12-07T00:10:00Z', '2026-12-07T09:00:00Z']) {
      const p = builtInPrice('openai-compatible', 'deepseek-chat', 'deepseek', new Date(at))!;
      assert.deepEqual([p.input, p.cachedInput, p.output], [0.27, 0.07, 1.1], at);
    }
    const mistral = builtInPrice('openai-compatible', 'mistral-large-latest', 'mistral')!;
    assert.equal(costMicros(mistral, usageFrom({ prompt_tokens: 1000, completion_tokens: 100 })!), 1000 * 2 + 100 * 6);
  });

  it('bedrock claude 3.5 haiku: cache reads and writes each at their rate (inference profiles priced too)', () => {
    const p = builtInPrice('bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0')!;
    assert.deepEqual([p.input, p.cachedInput, p.cacheWrite, p.output], [0.8, 0.08, 1, 4]);
    const u = usageFromConverse({
      inputTokens: 100,
      cacheReadInputTokens: 2000,
      cacheWriteInputTokens: 1000,
      outputTokens: 50,
    })!;
    assert.deepEqual(u, { promptTokens: 3100, completionTokens: 50, cachedTokens: 2000, cacheWriteTokens: 1000 });
    assert.equal(costMicros(p, u), 100 * 0.8 + 1000 * 1 + 2000 * 0.08 + 50 * 4); // 1440
    assert.equal(costMicros(p, usageFromConverse({ inputTokens: 100, outputTokens: 50 })!), 280);
    assert.equal(builtInPrice('bedrock', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0')!.cacheWrite, 3.75);
  });

  it("a preset's provider narrows the built-in lookup (OpenRouter's ids, Groq's models)", () => {
    assert.equal(
      resolvePrice(
        { providerType: 'openai-compatible', model: 'openai/gpt-4o-mini', alias: 'a', priceProvider: 'openrouter' },
        {},
      )!.input,
      0.15,
    );
    const groq = resolvePrice(
      { providerType: 'openai-compatible', model: 'llama-3.3-70b-versatile', alias: 'a', priceProvider: 'groq' },
      {},
    )!;
    assert.deepEqual([groq.input, groq.output, groq.source], [0.59, 0.79, 'genai-prices']);
  });

  it('configured prices: cache write rates and tiers, source config', () => {
    const p = resolvePrice(
      { providerType: 'openai-compatible', model: 'm', alias: 'a' },
      { m: { input: 1, output: 2, cachedInput: 0.1, cacheWrite: 1.25, tiers: [{ above: 1000, input: 2, output: 4 }] } },
    )!;
    assert.equal(p.source, 'config');
    assert.equal(p.cacheWrite1h, 1.25, '1-hour writes default to the write rate');
    assert.equal(
      costMicros(p, { promptTokens: 1000, completionTokens: 10, cachedTokens: 500, cacheWriteTokens: 200 }),
      300 * 1 + 200 * 1.25 + 500 * 0.1 + 10 * 2,
    );
    assert.equal(
      costMicros(p, { promptTokens: 1001, completionTokens: 10, cachedTokens: 1 }),
      1000 * 2 + 1 * 2 + 10 * 4,
      'a tier without a cache rate reads cache at its input rate',
    );
  });
});
