import { calcPrice } from '@pydantic/genai-prices';
import type { PriceConfig, ProviderType } from './config';
import type { RawUsage } from './types';

/**
 * USD per million tokens of each kind, which is also micro-dollars per token: the cost of a request
 * in micro-dollars is tokens × rate, rounded once per kind to an integer.
 */
export interface Rates {
  /** Prompt tokens neither read from nor written to a cache. */
  input: number;
  /** Completion tokens, reasoning included. */
  output: number;
  /** Prompt tokens read from the provider's cache (OpenAI cached input, Anthropic / Bedrock cache reads, Gemini cached content). */
  cachedInput: number;
  /** Prompt tokens written to the cache (Anthropic's and Bedrock's 5-minute cache); default the input rate. */
  cacheWrite?: number;
  /** Prompt tokens written to Anthropic's 1-hour cache; default the cacheWrite rate. */
  cacheWrite1h?: number;
}

/** A model's price: base rates, rates for long prompts, and where they came from. */
export interface Price extends Rates {
  /**
   * Rates of the whole request when its prompt (cached tokens included) has more than `above`
   * tokens (Gemini 2.5 Pro and Claude's long context over 200k), ascending; the last that applies wins.
   */
  tiers?: { above: number; rates: Rates }[];
  /** Where the price came from: the deployment's priceOverride, `pricing` in config, or @pydantic/genai-prices' bundled table. */
  source: 'deployment' | 'config' | 'genai-prices';
}

/** genai-prices provider ids for our adapters (ollama runs locally: no list price). */
const PRICE_PROVIDER: Record<ProviderType, string | undefined> = {
  openai: 'openai',
  'azure-openai': 'azure',
  anthropic: 'anthropic',
  ollama: undefined,
  // The preset names the provider (passed as priceProvider); without one, the model name decides.
  'openai-compatible': undefined,
  gemini: 'google',
  'vertex-ai': 'google',
  bedrock: 'aws',
  mock: undefined,
};

function ratesOf(p: {
  input: number;
  output?: number;
  cachedInput?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}): Rates {
  const cacheWrite = p.cacheWrite ?? p.input;
  return {
    input: p.input,
    output: p.output ?? 0,
    cachedInput: p.cachedInput ?? p.input,
    cacheWrite,
    cacheWrite1h: p.cacheWrite1h ?? cacheWrite,
  };
}

const fromConfig = (p: PriceConfig, source: Price['source']): Price => {
  const price: Price = { ...ratesOf(p), source };
  if (p.tiers?.length)
    price.tiers = [...p.tiers].sort((a, b) => a.above - b.above).map((t) => ({ above: t.above, rates: ratesOf(t) }));
  return price;
};

type PriceValue = number | { base?: number; tiers?: { start: number; price: number }[] } | undefined;
const flat = (v: PriceValue): number | undefined =>
  typeof v === 'number' ? v : typeof v?.base === 'number' ? v.base : undefined;
/** The rate of a (possibly tiered) genai-prices value for prompts over `above` tokens. */
const atTier = (v: PriceValue, above: number): number | undefined => {
  if (typeof v === 'number' || v === undefined) return v;
  let rate = v.base;
  for (const t of v.tiers ?? []) if (above >= t.start) rate = t.price;
  return rate;
};

/** Noon UTC of `now`'s date: the time built-in prices are read at (see builtInPrice). */
export function standardRateTime(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 12));
}

/**
 * The built-in price of a model from @pydantic/genai-prices (bundled data, no remote updates),
 * looked up once per deployment at start (a lookup costs ~15 µs: never on the request path), with
 * its cache read/write rates and its tiers by prompt length. `priceProvider` (a preset's provider)
 * narrows the lookup. The mock provider is priced as the model it imitates.
 *
 * The table has time-of-day prices (DeepSeek V3's off-peak half price 16:30–00:30 UTC; V4's peak
 * windows 01:00–04:00 and 06:00–10:00). A price is looked up once and used all day, so it is read at
 * noon UTC of `now`'s date — inside the window that covers most of each day for both — whatever the
 * hour the gateway started or the catalog was rebuilt (read at the current time, a gateway started
 * in the evening billed every DeepSeek V3 call at half price until restarted). Per-request
 * time-of-day prices would need the hour at billing time; not modelled.
 * Date-based price changes still follow the date.
 */
export function builtInPrice(
  providerType: ProviderType,
  model: string,
  priceProvider?: string,
  now: Date = new Date(),
): Price | null {
  const providerId = priceProvider ?? PRICE_PROVIDER[providerType];
  if (providerType === 'ollama') return null;
  const probe = { input_tokens: 1_000_000, output_tokens: 1_000_000, cache_read_tokens: 0 };
  const timestamp = standardRateTime(now);
  let r = providerId ? calcPrice(probe, model, { providerId, timestamp }) : null;
  if (!r && providerType !== 'openai' && providerType !== 'anthropic') r = calcPrice(probe, model, { timestamp });
  // The mock imitates OpenAI's models by default (embeddings match no provider by name alone).
  if (!r && providerType === 'mock') r = calcPrice(probe, model, { providerId: 'openai', timestamp });
  if (!r) return null;
  const mp = r.model_price as Record<string, PriceValue>;
  const input = flat(mp.input_mtok);
  if (input === undefined) return null;
  const rates = (at: (v: PriceValue) => number | undefined): Rates => {
    const inp = at(mp.input_mtok) ?? input;
    const write = at(mp.cache_write_mtok) ?? inp;
    return {
      input: inp,
      output: at(mp.output_mtok) ?? 0,
      cachedInput: at(mp.cache_read_mtok) ?? inp,
      cacheWrite: write,
      cacheWrite1h: at(mp.cache_write_1h_mtok) ?? write,
    };
  };
  const price: Price = { ...rates(flat), source: 'genai-prices' };
  const starts = new Set<number>();
  for (const v of Object.values(mp)) if (v && typeof v === 'object') for (const t of v.tiers ?? []) starts.add(t.start);
  if (starts.size)
    price.tiers = [...starts].sort((a, b) => a - b).map((above) => ({ above, rates: rates((v) => atTier(v, above)) }));
  return price;
}

/** Price of a deployment: its own override, then `pricing[model]`, `pricing[alias]`, then the built-in table. */
export function resolvePrice(
  opts: { providerType: ProviderType; model: string; alias: string; override?: PriceConfig; priceProvider?: string },
  pricing: Record<string, PriceConfig>,
): Price | null {
  if (opts.override) return fromConfig(opts.override, 'deployment');
  const configured = pricing[opts.model] ?? pricing[opts.alias];
  if (configured) return fromConfig(configured, 'config');
  return builtInPrice(opts.providerType, opts.model, opts.priceProvider);
}

/** The rates that apply to a request with this many prompt tokens. */
export function ratesFor(price: Price, promptTokens: number): Rates {
  let rates: Rates = price;
  for (const t of price.tiers ?? []) if (promptTokens > t.above) rates = t.rates;
  return rates;
}

/**
 * Cost in integer micro-dollars by token type. `input` is the uncached prompt plus cache writes
 * (each at its own rate: writes cost more than plain input at Anthropic and Bedrock), `cached` the
 * cache reads, `output` the completion (reasoning tokens included, at the output rate).
 */
export function costSplit(price: Price, usage: RawUsage): { input: number; cached: number; output: number } {
  const r = ratesFor(price, usage.promptTokens);
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const writes = Math.min(usage.cacheWriteTokens ?? 0, usage.promptTokens - cached);
  const writes1h = Math.min(usage.cacheWrite1hTokens ?? 0, writes);
  const plain = usage.promptTokens - cached - writes;
  const write = r.cacheWrite ?? r.input;
  return {
    input: Math.round(plain * r.input + (writes - writes1h) * write + writes1h * (r.cacheWrite1h ?? write)),
    cached: Math.round(cached * r.cachedInput),
    output: Math.round(usage.completionTokens * r.output),
  };
}

/** Cost in integer micro-dollars: the sum of the rounded parts of costSplit (so invoices add up). */
export function costMicros(price: Price, usage: RawUsage): number {
  const s = costSplit(price, usage);
  return s.input + s.cached + s.output;
}
