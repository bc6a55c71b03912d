import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `ahk_<id><check>_<secret>` (generated since the checksum was added), and the
 * original `ahk_<id>_<secret>`, still accepted so existing keys and AIHUB_BOOTSTRAP_ADMIN_KEY values
 * keep working.
 * - `ahk_` makes keys recognisable to secret scanners and lets the hot path tell them from JWTs.
 * - `<id>`: 12 base62 characters (~71 bits), stored in clear: the lookup key (so `cut -c5-16` still
 *   extracts it from either format).
 * - `<check>`: 6 base62 characters, the CRC32 of `<id>_<secret>` (as GitHub's tokens carry one): a
 *   typo, a truncated paste or a random forgery is refused without any lookup. It proves nothing
 *   about authenticity; the secret's HMAC does that.
 * - `<secret>`: 43 base62 characters when generated (~256 bits); 32–128 accepted (≥ 190 bits).
 *   Only HMAC-SHA-256(secret) is stored.
 * The old format has `_` at offset 16, the new one at offset 22 (base62 has no `_`), so the two
 * never overlap. Base62 keeps keys whole under double-click selection.
 */
export const KEY_PREFIX = 'ahk_';
export const KEY_ID_LENGTH = 12;
export const KEY_CHECK_LENGTH = 6;
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

/** `n` (an unsigned 32-bit value) as exactly 6 base62 digits, most significant first. */
function base62Check(n: number): string {
  let out = '';
  for (let i = 0; i < KEY_CHECK_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** The checksum of a key: CRC32 of `<id>_<secret>` in base62 (62^6 > 2^32, so every value fits). */
export function keyChecksum(id: string, secret: string): string {
  return base62Check(crc32(`${id}_${secret}`));
}

/**
 * True when `value[from, from + 6)` is the base62 form of `crc` (as base62Check writes it), read
 * digit by digit from the last: neither the expected string nor a substring is built per request.
 */
function checkMatches(value: string, from: number, crc: number): boolean {
  let n = crc;
  for (let i = KEY_CHECK_LENGTH - 1; i >= 0; i--) {
    if (value.charCodeAt(from + i) !== ALPHABET.charCodeAt(n % 62)) return false;
    n = Math.floor(n / 62);
  }
  return true;
}

/**
 * Splits a presented key; undefined when it is not shaped like an AI Hub key, or when its checksum
 * does not match (new format). Costs a CRC32 of ~60 bytes at most; allocation: two substrings.
 */
export function parseApiKey(value: string): ParsedKey | undefined {
  const len = value.length;
  if (!value.startsWith(KEY_PREFIX)) return undefined;
  const oldSep = 4 + KEY_ID_LENGTH;
  const newSep = oldSep + KEY_CHECK_LENGTH;
  const sep = value.charCodeAt(oldSep) === 95 /* _ */ ? oldSep : value.charCodeAt(newSep) === 95 ? newSep : -1;
  if (sep < 0 || len < sep + 1 + KEY_SECRET_MIN || len > sep + 1 + KEY_SECRET_MAX) return undefined;
  if (!isBase62(value, 4, sep) || !isBase62(value, sep + 1, len)) return undefined;
  const id = value.slice(4, oldSep);
  const secret = value.slice(sep + 1);
  if (sep === newSep && !checkMatches(value, oldSep, crc32(`${id}_${secret}`))) return undefined;
  return { id, secret };
}

export function isKeyId(value: string): boolean {
  return value.length === KEY_ID_LENGTH && isBase62(value, 0, KEY_ID_LENGTH);
}

/** A new random key, in the checksummed format. */
export function generateApiKey(): { id: string; secret: string; key: string } {
  const id = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(KEY_SECRET_LENGTH);
  return { id, secret, key: `${KEY_PREFIX}${id}${keyChecksum(id, secret)}_${secret}` };
}

/** Explains the format, for config and env validation errors. */
export const KEY_FORMAT_HELP = `an AI Hub key is \`ahk_<id>_<secret>\` or, with a checksum, \`ahk_<id><check>_<secret>\`: \`ahk_\`, ${KEY_ID_LENGTH} base62 characters [0-9A-Za-z] (+ ${KEY_CHECK_LENGTH} checksum characters), \`_\`, then ${KEY_SECRET_MIN}–${KEY_SECRET_MAX} base62 characters; generate one with: node -e "const a='0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',r=n=>Array.from(require('crypto').randomBytes(n),b=>a[b%62]).join('');console.log('ahk_'+r(12)+'_'+r(43))"`;

/** Prefix of OAuth client ids and secrets (recognisable, and never confused with API keys). */
export function generateClientId(): string {
  return `ahc_${randomBase62(20)}`;
}

export function generateClientSecret(): string {
  return `ahcs_${randomBase62(KEY_SECRET_LENGTH)}`;
}
