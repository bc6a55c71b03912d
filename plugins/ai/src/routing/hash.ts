/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units. Used for sticky experiment assignment:
 * stable across processes and versions, well spread, and ~20× cheaper than a crypto hash.
 */
export function murmur3(key: string, seed = 0): number {
  let h = seed >>> 0;
  const len = key.length;
  let i = 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  // Two UTF-16 code units per 32-bit block.
  for (; i + 1 < len; i += 2) {
    let k = (key.charCodeAt(i) & 0xffff) | ((key.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < len) {
    let k = key.charCodeAt(i) & 0xffff;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) from the hash of `experiment:subject`. */
export function unitHash(experiment: string, subject: string): number {
  return murmur3(`${experiment}:${subject}`) / 4294967296;
}
