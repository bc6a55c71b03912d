import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower-case
const RANDOM_CHARS = 16; // 80 bits

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function freshRandom(): number[] {
  const bytes = randomBytes(RANDOM_CHARS);
  return Array.from(bytes, (b) => b & 31);
}

/** Adds one to a base32 digit array; false when it overflowed (all digits were 31). */
function increment(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] < 31) {
      digits[i]++;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

/**
 * A prefixed, time-ordered random id: `ten_01j9…` — 10 base32 characters of milliseconds then 16 of
 * randomness (80 bits), like a monotonic ULID: ids made in the same millisecond by this process
 * still sort in creation order. Sorting by id sorts by creation time, which keeps cursor pagination
 * on the primary key stable and cheap.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = now;
  if (time <= lastTime && increment(lastRandom)) {
    time = lastTime;
  } else {
    if (time <= lastTime) time = lastTime + 1; // overflow within one millisecond: borrow the next one
    lastTime = time;
    lastRandom = freshRandom();
  }
  let rand = '';
  for (const d of lastRandom) rand += ALPHABET[d];
  return `${prefix}_${encodeTime(time)}${rand}`;
}

/** Id prefixes of the tenancy plugin's tables. */
export const ID_PREFIX = {
  tenant: 'ten',
  user: 'usr',
  team: 'team',
  membership: 'mem',
  audit: 'aud',
  invitation: 'inv',
} as const;

/** Cheap shape check before an id reaches a query (ids are at most 64 characters of [a-z0-9_]). */
export function looksLikeId(value: string): boolean {
  return value.length <= 64 && /^[a-z]+_[0-9a-z]+$/.test(value);
}
