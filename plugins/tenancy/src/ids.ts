import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case

/**
 * A prefixed, time-ordered random id: `ten_01j9…` — 10 base32 characters of milliseconds then 16 of
 * randomness (80 bits), like a ULID. Sorting by id sorts by creation time, which keeps cursor
 * pagination on the primary key stable and cheap.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let rand = '';
  // 80 bits → 16 characters of 5 bits.
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return `${prefix}_${time}${rand}`;
}

/** Id prefixes of the tenancy plugin's tables. */
export const ID_PREFIX = { tenant: 'ten', user: 'usr', team: 'team', membership: 'mem', audit: 'aud' } as const;

/** Cheap shape check before an id reaches a query (ids are at most 64 characters of [a-z0-9_]). */
export function looksLikeId(value: string): boolean {
  return value.length <= 64 && /^[a-z]+_[0-9a-z]+$/.test(value);
}
