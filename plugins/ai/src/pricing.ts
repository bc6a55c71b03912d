import { calcPrice } from '@pydantic/genai-prices';
import type { PriceConfig, ProviderType } from './config';
import type { RawUsage } from './types';

/**
 * A model's price in USD per million tokens, which is also micro-dollars per token: the cost of a
 * request in micro-dollars is tokens × price, rounded once to an integer.
 */
export interface Price {
  input: number;
  output: number;
  cachedInput: number;
  /** Where the price came from (deployment override, config, built-in table). */
  source: 'deployment' | 'config' | 'genai-prices';
}

/** genai-prices provider ids for our adapters (ollama runs locally: no list price). */
const PRICE_PROVIDER: Record<ProviderType, string | undefined> = {
  openai: 'openai',
  'azure-openai': 'azure',
  anthropic: 'anthropic',
  ollama: undefined,
  // The preset names the provider (the adapter's priceProvider); without one, the model name decides.
  'openai-compatible': undefined,
  gemini: 'google',
  'vertex-ai': 'google',
  mock: undefined,
};

const fromConfig = (p: PriceConfig, source: Price['source']): Price => ({ input: p.input, output: p.output, cachedInput: p.cachedInput ?? p.input, source });

type PriceValue = number | { base?: number } | undefined;
const flat = (v: PriceValue): number | undefined => (typeof v === 'number' ? v : typeof v?.base === 'number' ? v.base : undefined);

/**
 * The built-in price of a model from @pydantic/genai-prices (bundled data, no remote updates),
 * looked up once per deployment at start (a lookup costs ~15 µs: never on the request path).
 * Tiered prices use their base tier. The mock provider is priced as the model it imitates.
 */
export function builtInPrice(providerType: ProviderType, model: string): Price | null {
  const providerId = PRICE_PROVIDER[providerType];
  if (providerType === 'ollama') return null;
  const probe = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_read_tokens: 0 };
  let r = providerId ? calcPrice(probe, model, { providerId }) : null;
  if (!r && providerType !== 'openai' && providerType !== 'anthropic') r = calcPrice(probe, model);
  // The mock imitates OpenAI's models by default (embeddings match no provider by name alone).
  if (!r && providerType === 'mock') r = calcPrice(probe, model, { providerId: 'openai' });
  if (!r) return null;
  const mp = r.model_price as Record<string, PriceValue>;
  const input = flat(mp.input_mtok);
  if (input === undefined) return null;
  return { input, output: flat(mp.output_mtok) ?? 0, cachedInput: flat(mp.cache_read_mtok) ?? input, source: 'genai-prices' };
}

/** Price of a deployment: its own override, then `pricing[model]`, `pricing[alias]`, then the built-in table. */
export function resolvePrice(
  opts: { providerType: ProviderType; model: string; alias: string; override?: PriceConfig },
  pricing: Record<string, PriceConfig>,
): Price | null {
  if (opts.override) return fromConfig(opts.override, 'deployment');
  const configured = pricing[opts.model] ?? pricing[opts.alias];
  if (configured) return fromConfig(configured, 'config');
  return builtInPrice(opts.providerType, opts.model);
}

/** Cost in integer micro-dollars by token type: uncached prompt, cached prompt, completion. */
export function costSplit(price: Price, usage: RawUsage): { input: number; cached: number; output: number } {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  return {
    input: Math.round((usage.promptTokens - cached) * price.input),
    cached: Math.round(cached * price.cachedInput),
    output: Math.round(usage.completionTokens * price.output),
  };
}

/** Cost in integer micro-dollars: the sum of the rounded parts of costSplit (so invoices add up). */
export function costMicros(price: Price, usage: RawUsage): number {
  const s = costSplit(price, usage);
  return s.input + s.cached + s.output;
}
