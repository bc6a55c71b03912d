/**
 * Servers that speak OpenAI's Chat Completions API, each with what differs from OpenAI: where it
 * lives, whether it needs a key, how it reports usage in streams, and which request fields it
 * refuses or names differently (applied by `translate.ts`).
 */

export const PRESET_NAMES = ['vllm', 'groq', 'together', 'deepseek', 'openrouter', 'lmstudio', 'mistral'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface Preset {
  /** Base URL when the config sets none (local servers: their default port). */
  baseUrl: string;
  /** The hosted service refuses calls without a key (local servers accept any). */
  keyRequired: boolean;
  /** `gen_ai.provider.name` (OTel GenAI semantic conventions). */
  genAiSystem: string;
  /** Provider id in @pydantic/genai-prices, for built-in prices. */
  priceProvider: string | undefined;
  /**
   * `stream_options`: the server reports stream usage only when asked with
   * `stream_options.include_usage` (the gateway asks). `always`: usage arrives with the last chunk
   * anyway, and the field is not sent (Mistral refuses unknown fields with a 422).
   */
  streamUsage: 'stream_options' | 'always';
  /** Serves `/embeddings` too. */
  embeddings: boolean;
  /** Headers sent unless the config sets the same header. */
  headers?: Record<string, string>;
}

export const PRESETS: Record<PresetName, Preset> = {
  // vLLM's OpenAI-compatible server (`vllm serve`): key only when started with --api-key.
  vllm: {
    baseUrl: 'http://localhost:8000/v1',
    keyRequired: false,
    genAiSystem: 'vllm',
    priceProvider: undefined,
    streamUsage: 'stream_options',
    embeddings: true,
  },
  // Groq: also puts usage under x_groq.usage in the last chunk; refuses messages[].name.
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1',
    keyRequired: true,
    genAiSystem: 'groq',
    priceProvider: 'groq',
    streamUsage: 'stream_options',
    embeddings: false,
  },
  together: {
    baseUrl: 'https://api.together.xyz/v1',
    keyRequired: true,
    genAiSystem: 'together_ai',
    priceProvider: 'together',
    streamUsage: 'stream_options',
    embeddings: true,
  },
  // DeepSeek: reasoning models answer with `reasoning_content` beside `content`, and refuse it when
  // a client sends it back in the conversation; cache hits as prompt_cache_hit_tokens.
  deepseek: {
    baseUrl: 'https://api.deepseek.com/v1',
    keyRequired: true,
    genAiSystem: 'deepseek',
    priceProvider: 'deepseek',
    streamUsage: 'stream_options',
    embeddings: false,
  },
  // OpenRouter: usage always with the last chunk (stream_options is accepted and ignored); SSE
  // comments while it waits; X-Title / HTTP-Referer attribute the calls to an app.
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1',
    keyRequired: true,
    genAiSystem: 'openrouter',
    priceProvider: 'openrouter',
    streamUsage: 'always',
    embeddings: false,
    headers: { 'x-title': 'AI Hub' },
  },
  lmstudio: {
    baseUrl: 'http://localhost:1234/v1',
    keyRequired: false,
    genAiSystem: 'lmstudio',
    priceProvider: undefined,
    streamUsage: 'stream_options',
    embeddings: true,
  },
  // Mistral: see translate.ts (random_seed, max_tokens, 9-character tool call ids, no `user`).
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1',
    keyRequired: true,
    genAiSystem: 'mistral_ai',
    priceProvider: 'mistral',
    streamUsage: 'always',
    embeddings: true,
  },
};
