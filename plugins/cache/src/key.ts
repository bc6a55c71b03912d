import { createHash } from 'node:crypto';

/**
 * Request fields that do not change the answer: who asks (`user`, `safety_identifier`), how it is
 * delivered (`stream`, `stream_options` — a streamed and a non-streamed request share one entry),
 * bookkeeping (`metadata`, `store`, `service_tier`, `prompt_cache_key`) and `model` (part of the key
 * on its own). Everything else is part of the key, unknown fields included: an unfamiliar parameter
 * can only cause a miss, never a wrong hit.
 */
const IGNORED = new Set([
  'model',
  'user',
  'stream',
  'stream_options',
  'metadata',
  'store',
  'service_tier',
  'safety_identifier',
  'prompt_cache_key',
]);

/** Parameters whose OpenAI default equals leaving them out, so `n: 1` and no `n` share an entry. */
const DEFAULTS: Record<string, unknown> = {
  n: 1,
  top_p: 1,
  presence_penalty: 0,
  frequency_penalty: 0,
  logprobs: false,
};

/**
 * Canonical JSON: object keys sorted at every depth, so `{a,b}` and `{b,a}` hash alike. Message
 * order, array order and string contents are kept exactly (they change the answer).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** The part of a request body that decides the answer, as canonical JSON. */
export function normalizedRequest(body: Record<string, unknown>): string {
  const keys = Object.keys(body).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = body[k];
    if (v === undefined || v === null || IGNORED.has(k)) continue;
    if (k in DEFAULTS && DEFAULTS[k] === v) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** `:` would let one model's purge prefix match another model's keys (`llama3` vs `llama3:8b`). */
export function keyPart(text: string): string {
  return encodeURIComponent(text);
}

/**
 * The cache key: `<tenant>:<model>:<sha256 of tenant, model and the normalized request>`. The tenant
 * and model lead so a purge can address them; the tenant is hashed in as well, so two tenants can
 * never share an entry even through a prefix mix-up. `variant` (an A/B experiment's arm) keeps the
 * arms' answers apart.
 */
export function cacheKey(tenantId: string, model: string, body: Record<string, unknown>, variant?: string): string {
  const h = createHash('sha256').update(tenantId).update('\n').update(model).update('\n');
  if (variant !== undefined) h.update(variant);
  const hash = h.update('\n').update(normalizedRequest(body)).digest('base64url');
  return `${keyPart(tenantId)}:${keyPart(model)}:${hash}`;
}

/** Prefix of every key of a tenant, or of one model in it (for purges). */
export function keyPrefix(tenantId: string, model?: string): string {
  return model === undefined ? `${keyPart(tenantId)}:` : `${keyPart(tenantId)}:${keyPart(model)}:`;
}
