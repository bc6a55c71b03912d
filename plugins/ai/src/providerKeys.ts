import type { AiConfig, ProviderConfig } from './config';

/** The environment variable the shipped configs read each keyed provider type's key from. */
const KEY_ENV: Record<string, string> = { openai: 'OPENAI_API_KEY', 'azure-openai': 'AZURE_OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };
/** Headers that carry a credential when an operator sets it by hand instead of `apiKey`. */
const AUTH_HEADERS = new Set(['authorization', 'api-key', 'x-api-key']);

/** A provider that will be refused upstream because no credential is configured for it. */
export interface MissingKey {
  provider: string;
  type: string;
  /** What to do, in one sentence. */
  message: string;
}

/**
 * Providers of a type that needs a key (openai at its public endpoint, azure-openai, anthropic) with
 * neither `apiKey` nor a credential header. An openai-type provider with its own `baseUrl` (vLLM,
 * LiteLLM, a local server) may need none, so it is not listed; ollama and mock never need one.
 */
export function missingApiKeys(config: AiConfig): MissingKey[] {
  const out: MissingKey[] = [];
  for (const [name, p] of Object.entries(config.providers)) {
    const type = p.type ?? name;
    if (!needsKey(type, p) || hasCredential(p)) continue;
    out.push({ provider: name, type, message: `no API key configured for provider "${name}" (${type}): its calls will be refused upstream; set ${KEY_ENV[type]} (or providers.${name}.apiKey)` });
  }
  return out;
}

/** Aliases whose every deployment, and every fallback alias's, is on a provider without a key. */
export function modelsWithoutKey(config: AiConfig, missing: readonly MissingKey[]): string[] {
  const keyless = new Set(missing.map((m) => m.provider));
  const direct = (alias: string) => config.models[alias]?.deployments.every((d) => keyless.has(d.provider)) ?? true;
  return Object.keys(config.models).filter((alias) => direct(alias) && config.models[alias].fallbacks.every(direct));
}

function needsKey(type: string, p: ProviderConfig): boolean {
  if (type === 'openai') return !p.baseUrl || new URL(p.baseUrl).hostname === 'api.openai.com';
  return type === 'azure-openai' || type === 'anthropic';
}

function hasCredential(p: ProviderConfig): boolean {
  if (p.apiKey && p.apiKey.trim() !== '') return true;
  return Object.entries(p.headers).some(([h, v]) => AUTH_HEADERS.has(h.toLowerCase()) && v.trim() !== '');
}
