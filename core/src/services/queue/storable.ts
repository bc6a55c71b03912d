/**
 * Values a database refuses although JSON carries them: PostgreSQL rejects NUL (U+0000) in text and
 * jsonb and lone UTF-16 surrogates in jsonb; neither database stores NaN or ±Infinity as a number
 * (JSON.parse turns `1e400` into Infinity). Ingest refuses them with {@link findUnstorable}; internal
 * producers replace them with {@link sanitizeStorable}.
 */

/** Why a value cannot be stored, and where (a JSON path such as `properties.items[0].name`). */
export interface UnstorableValue {
  path: string;
  code: 'nul_character' | 'lone_surrogate' | 'non_finite_number' | 'too_deep';
  message: string;
}

/** Default nesting limit: deeper documents are refused rather than walked. */
const MAX_DEPTH = 64;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `base.key`, or `base["odd key"]` when the key is not an identifier. */
export function jsonPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

type Code = UnstorableValue['code'];

/** Node 20's String.prototype.isWellFormed (ES2024), typed here since the TS lib may predate it. */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

function stringCode(s: string): Code | undefined {
  if (s.indexOf('\u0000') !== -1) return 'nul_character';
  if (!isWellFormed(s)) return 'lone_surrogate';
  return undefined;
}

const MESSAGES: Record<Code, (where: string, maxDepth: number) => string> = {
  nul_character: (w) => `${w} contains a NUL character (\\u0000), which the database cannot store; remove it.`,
  lone_surrogate: (w) => `${w} contains a lone UTF-16 surrogate (invalid Unicode); send well-formed UTF-8 text.`,
  non_finite_number: (w) =>
    `${w} is not a finite number (too large, NaN or Infinity); send a number the database can store.`,
  too_deep: (w, max) => `${w} is nested more than ${max} levels deep; flatten it.`,
};

/** A problem found by the walk: the path is built only then, from the keys on the way back up. */
interface Found {
  code: Code;
  /** The problem is in this key itself, not in its value. */
  inKey: boolean;
  keys: (string | number)[];
}

/**
 * The first string, key or number under `value` that the database cannot store, or undefined.
 * Walks objects and arrays (keys included) down to `maxDepth` levels. Cheap on the ingest path: no
 * copy and no path strings unless a problem is found, and it stops at the first one.
 */
export function findUnstorable(value: unknown, path = '', maxDepth = MAX_DEPTH): UnstorableValue | undefined {
  const walk = (v: unknown, depth: number): Found | undefined => {
    if (typeof v === 'string') {
      const code = stringCode(v);
      return code ? { code, inKey: false, keys: [] } : undefined;
    }
    if (typeof v === 'number')
      return Number.isFinite(v) ? undefined : { code: 'non_finite_number', inKey: false, keys: [] };
    if (v === null || typeof v !== 'object') return undefined;
    if (depth >= maxDepth) return { code: 'too_deep', inKey: false, keys: [] };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = walk(v[i], depth + 1);
        if (found) {
          found.keys.push(i);
          return found;
        }
      }
      return undefined;
    }
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const keyCode = stringCode(key);
      if (keyCode) return { code: keyCode, inKey: true, keys: [key] };
      const found = walk(obj[key], depth + 1);
      if (found) {
        found.keys.push(key);
        return found;
      }
    }
    return undefined;
  };
  const found = walk(value, 0);
  if (!found) return undefined;
  let at = path;
  for (let i = found.keys.length - 1; i >= 0; i--) at = jsonPath(at, found.keys[i]);
  const where = at ? `"${at}"` : 'The value';
  return {
    path: at,
    code: found.code,
    message: MESSAGES[found.code](found.inKey ? `The key of ${where}` : where, maxDepth),
  };
}

/** `s` with NUL and lone surrogates replaced by U+FFFD (the replacement character). */
export function sanitizeText(s: string): string {
  let out = s.indexOf('\u0000') === -1 ? s : s.replaceAll('\u0000', '\uFFFD');
  if (!isWellFormed(out)) out = out.replace(LONE_SURROGATES, '\uFFFD');
  return out;
}

/**
 * A copy of `value` the database can store: NUL and lone surrogates in strings and keys become
 * U+FFFD, non-finite numbers become null. `replaced` lists the JSON paths changed (empty: the value
 * is returned as it was, not copied).
 */
export function sanitizeStorable<T>(value: T, path = ''): { value: T; replaced: string[] } {
  const replaced: string[] = [];
  const walk = (v: unknown, p: string): unknown => {
    if (typeof v === 'string') {
      const clean = sanitizeText(v);
      if (clean !== v) replaced.push(p);
      return clean;
    }
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      replaced.push(p);
      return null;
    }
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((child, i) => walk(child, jsonPath(p, i)));
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const cleanKey = sanitizeText(key);
      if (cleanKey !== key) replaced.push(jsonPath(p, key));
      out[cleanKey] = walk(child, jsonPath(p, key));
    }
    return out;
  };
  if (findUnstorable(value, path, Number.POSITIVE_INFINITY) === undefined) return { value, replaced };
  return { value: walk(value, path) as T, replaced };
}
