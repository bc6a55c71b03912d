import { randomBytes } from 'node:crypto';

/**
 * API key format: `ahk_<id>_<secret>`.
 * - `ahk_` makes keys recognisable to secret scanners and lets the hot path tell them from JWTs.
 * - `<id>`: 12 base62 characters (~71 bits), stored in clear: the lookup key.
 * - `<secret>`: 43 base62 characters when generated (~256 bits); 32–128 accepted (≥ 190 bits).
 *   Only HMAC-SHA-256(secret) is stored.
 * Base62 has no `_`, so the separators are unambiguous and keys survive double-click selection.
 */
export const KEY_PREFIX = 'ahk_';
export const KEY_ID_LENGTH = 12;
export const KEY_SECRET_LENGTH = 43;
export const KEY_SECRET_MIN = 32;
export const KEY_SECRET_MAX = 128;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string (rejection sampling, so no character is more likely than another). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.3) + 4);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i];
      // 248 = 62 * 4: values above it would bias the first 8 characters.
      if (b < 248) out += ALPHABET[b % 62];
    }
  }
  return out;
}

function isBase62(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    // 0-9, A-Z, a-z without a regex (no per-request regex work on the hot path).
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

export interface ParsedKey {
  id: string;
  secret: string;
}

/** Splits a presented key; undefined when it is not shaped like an AI Hub key. Allocation: two substrings. */
export function parseApiKey(value: string): ParsedKey | undefined {
  const len = value.length;
  const sep = 4 + KEY_ID_LENGTH;
  if (len < sep + 1 + KEY_SECRET_MIN || len > sep + 1 + KEY_SECRET_MAX) return undefined;
  if (!value.startsWith(KEY_PREFIX) || value.charCodeAt(sep) !== 95 /* _ */) return undefined;
  if (!isBase62(value, 4, sep) || !isBase62(value, sep + 1, len)) return undefined;
  return { id: value.slice(4, sep), secret: value.slice(sep + 1) };
}

export function isKeyId(value: string): boolean {
  return value.length === KEY_ID_LENGTH && isBase62(value, 0, KEY_ID_LENGTH);
}

export function generateApiKey(): { id: string; secret: string; key: string } {
  const id = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(KEY_SECRET_LENGTH);
  return { id, secret, key: `${KEY_PREFIX}${id}_${secret}` };
}

/** Explains the format, for config and env validation errors. */
export const KEY_FORMAT_HELP = `an AI Hub key is \`ahk_<id>_<secret>\`: \`ahk_\`, ${KEY_ID_LENGTH} base62 characters [0-9A-Za-z], \`_\`, then ${KEY_SECRET_MIN}–${KEY_SECRET_MAX} base62 characters; generate one with: node -e "const a='0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',r=n=>Array.from(require('crypto').randomBytes(n),b=>a[b%62]).join('');console.log('ahk_'+r(12)+'_'+r(43))"`;

/** Prefix of OAuth client ids and secrets (recognisable, and never confused with API keys). */
export function generateClientId(): string {
  return `ahc_${randomBase62(20)}`;
}

export function generateClientSecret(): string {
  return `ahcs_${randomBase62(KEY_SECRET_LENGTH)}`;
}
