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
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `base.key`, or `base["odd key"]` when the key is not an identifier. */
export function jsonPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

function stringProblem(s: string, path: string, what: string): UnstorableValue | undefined {
  if (s.includes('\u0000')) return { path, code: 'nul_character', message: `${what} contains a NUL character (\\u0000), which the database cannot store; remove it.` };
  if (LONE_SURROGATE.test(s)) return { path, code: 'lone_surrogate', message: `${what} contains a lone UTF-16 surrogate (invalid Unicode); send well-formed UTF-8 text.` };
  return undefined;
}

/**
 * The first string, key or number under `value` that the database cannot store, or undefined.
 * Walks objects and arrays (keys included) down to `maxDepth` levels. Cheap: no copy, stops at the
 * first problem.
 */
export function findUnstorable(value: unknown, path = '', maxDepth = MAX_DEPTH): UnstorableValue | undefined {
  const where = (p: string) => (p ? `"${p}"` : 'The value');
  const walk = (v: unknown, p: string, depth: number): UnstorableValue | undefined => {
    if (typeof v === 'string') return stringProblem(v, p, where(p));
    if (typeof v === 'number') {
      return Number.isFinite(v) ? undefined : { path: p, code: 'non_finite_number', message: `${where(p)} is not a finite number (too large, NaN or Infinity); send a number the database can store.` };
    }
    if (v === null || typeof v !== 'object') return undefined;
    if (depth >= maxDepth) return { path: p, code: 'too_deep', message: `${where(p)} is nested more than ${maxDepth} levels deep; flatten it.` };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const problem = walk(v[i], jsonPath(p, i), depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      const at = jsonPath(p, key);
      const keyProblem = stringProblem(key, at, `The key of ${where(at)}`);
      if (keyProblem) return keyProblem;
      const problem = walk(child, at, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return walk(value, path, 0);
}

/** `s` with NUL and lone surrogates replaced by U+FFFD (the replacement character). */
export function sanitizeText(s: string): string {
  let out = s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
  if (LONE_SURROGATE.test(out)) out = out.replace(LONE_SURROGATES, '\uFFFD');
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
