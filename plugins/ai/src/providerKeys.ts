import type { ConfigPath, EnvOrigin } from '@aihub/core/plugin-api';
import type { AiConfig, ProviderConfig } from './config';
import { PRESETS } from './providers/openai-compatible/presets';

/** The environment variable the shipped configs read each keyed provider type's key from. */
const KEY_ENV: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  'azure-openai': 'AZURE_OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  'vertex-ai': 'GOOGLE_SERVICE_ACCOUNT_JSON',
  bedrock: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  groq: 'GROQ_API_KEY',
  together: 'TOGETHER_API_KEY',
  deepseek: 'DEEPSEEK_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  mistral: 'MISTRAL_API_KEY',
};
/** Where each credential-holding type keeps it (apiKey for the rest), for the message and the origin lookup. */
const KEY_FIELDS: Record<string, string[]> = {
  'vertex-ai': ['serviceAccount'],
  bedrock: ['accessKeyId', 'secretAccessKey'],
};

/** `ctx.configOrigin`: which variables the file read a value from (see missingApiKeys). */
export type OriginLookup = (path: ConfigPath) => EnvOrigin | undefined;
/** Headers that carry a credential when an operator sets it by hand instead of `apiKey`. */
const AUTH_HEADERS = new Set(['authorization', 'api-key', 'x-api-key', 'x-goog-api-key']);

/** A provider that will be refused upstream because no credential is configured for it. */
export interface MissingKey {
  provider: string;
  type: string;
  /** What to do, in one sentence (the start-up warning and the readiness detail). */
  message: string;
  /** The same for a client's error answer: which provider lacks what, and what the operator sets. */
  fix: string;
}

/**
 * Providers of a type that needs a key (openai at its public endpoint, azure-openai, anthropic) with
 * neither `apiKey` nor a credential header. An openai-type provider with its own `baseUrl` (vLLM,
 * LiteLLM, a local server) may need none, so it is not listed; ollama and mock never need one.
 *
 * With `origin` (`ctx.configOrigin`), a key the file reads from a variable (`apiKey: ${MY_KEY:-}`) is
 * named by that variable; otherwise by the usual one of its type (OPENAI_API_KEY …).
 */
export function missingApiKeys(config: AiConfig, origin?: OriginLookup): MissingKey[] {
  const out: MissingKey[] = [];
  for (const [name, p] of Object.entries(config.providers)) {
    const type = p.type ?? name;
    if (!needsKey(type, p) || hasCredential(type, p)) continue;
    const fields = KEY_FIELDS[type] ?? ['apiKey'];
    const field = `providers.${name}.${fields.join(' / ')}`;
    const read = origin ? readFrom(name, fields, origin) : undefined;
    const env = KEY_ENV[type === 'openai-compatible' ? (p.preset ?? type) : type];
    const set = read
      ? `set ${read.names.join(' and ')} (which ${field} reads; ${read.names.length > 1 ? 'they are' : 'it is'} ${read.empty ? 'unset or empty' : 'blank'})`
      : env
        ? `set ${env} (or ${field})`
        : `set ${field}`;
    out.push({
      provider: name,
      type,
      message: `no API key configured for provider "${name}" (${type}): its deployments are skipped and models served only by it answer 503 provider_not_configured; ${set}`,
      fix: `provider "${name}" has no API key configured; the gateway operator must ${set}`,
    });
  }
  return out;
}

/**
 * `origin` narrowed to providers the effective catalog takes from the file as written: one the admin
 * API replaced (stored whole, with or without its own key) has no file origin, so its message names
 * the usual variable rather than one the file reads for a provider no longer in effect.
 */
export function fileKeyOrigin(origin: OriginLookup, file: AiConfig, effective: AiConfig): OriginLookup {
  return (path) => {
    const name = typeof path === 'string' ? undefined : path[1];
    if (typeof name !== 'string') return undefined;
    const written = file.providers[name];
    const used = effective.providers[name];
    return written && used && JSON.stringify(written) === JSON.stringify(used) ? origin(path) : undefined;
  };
}

/**
 * The variables the file reads the provider's key fields from: the unset or empty ones when some are
 * (those are what to set), else all of them (set, but to blanks).
 */
function readFrom(
  provider: string,
  fields: readonly string[],
  origin: OriginLookup,
): { names: string[]; empty: boolean } | undefined {
  const vars = new Set<string>();
  const empty = new Set<string>();
  for (const f of fields) {
    const o = origin(['providers', provider, f]);
    o?.vars.forEach((v) => vars.add(v));
    o?.empty.forEach((v) => empty.add(v));
  }
  const names = [...(empty.size ? empty : vars)];
  return names.length ? { names, empty: empty.size > 0 } : undefined;
}

/** Aliases whose every deployment, and every fallback alias's, is on a provider without a key. */
export function modelsWithoutKey(config: AiConfig, missing: readonly MissingKey[]): string[] {
  const keyless = new Set(missing.map((m) => m.provider));
  const direct = (alias: string) => config.models[alias]?.deployments.every((d) => keyless.has(d.provider)) ?? true;
  return Object.keys(config.models).filter((alias) => direct(alias) && config.models[alias].fallbacks.every(direct));
}

function needsKey(type: string, p: ProviderConfig): boolean {
  if (type === 'openai') return !p.baseUrl || new URL(p.baseUrl).hostname === 'api.openai.com';
  // A preset of a hosted service needs its key; local servers (vllm, lmstudio) and own base URLs may not.
  if (type === 'openai-compatible')
    return (
      p.preset !== undefined &&
      PRESETS[p.preset].keyRequired &&
      (!p.baseUrl || new URL(p.baseUrl).hostname === new URL(PRESETS[p.preset].baseUrl).hostname)
    );
  return (
    type === 'azure-openai' || type === 'anthropic' || type === 'gemini' || type === 'vertex-ai' || type === 'bedrock'
  );
}

function hasCredential(type: string, p: ProviderConfig): boolean {
  if (p.serviceAccount && p.serviceAccount.trim() !== '') return true;
  if (p.accessKeyId && p.secretAccessKey) return true;
  // Bedrock also takes the standard AWS variables, as AWS's SDKs do.
  if (
    type === 'bedrock' &&
    (p.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID) &&
    (p.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY)
  )
    return true;
  if (p.apiKey && p.apiKey.trim() !== '') return true;
  return Object.entries(p.headers).some(([h, v]) => AUTH_HEADERS.has(h.toLowerCase()) && v.trim() !== '');
}
