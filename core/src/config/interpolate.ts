import type { ConfigOrigins } from './origins';
import { formatPath, ProblemCode, type Problem } from './problems';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed config. A value that is exactly
 * one reference is typed like a YAML scalar (`"${PORT}"` with PORT=9000 becomes the number 9000), so
 * numbers and booleans can come from the environment. `$${` escapes a literal `${`.
 *
 * With `origins`, each value a reference produced is recorded there by path: the variables' names and
 * which of them were unset or empty (so a message can name the variable an operator's file used).
 */
export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: Problem[],
  path: PropertyKey[] = [],
  origins?: ConfigOrigins,
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, problems, path, origins);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, [...path, i], origins));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, problems, [...path, k], origins);
    return out;
  }
  return value;
}

function interpolateString(
  s: string,
  env: NodeJS.ProcessEnv,
  problems: Problem[],
  path: PropertyKey[],
  origins?: ConfigOrigins,
): unknown {
  if (!s.includes('${')) return s;
  const seen: Seen = { vars: [], empty: [] };
  const whole = WHOLE_REF.exec(s);
  let out: unknown;
  if (whole) {
    const resolved = lookup(whole[1], whole[2], env, problems, path, seen);
    out = resolved === undefined ? s : typeScalar(resolved);
  } else {
    const escaped = s.split('$${');
    out = escaped
      .map((part) =>
        part.replace(
          REF,
          (m, name: string, def: string | undefined) => lookup(name, def, env, problems, path, seen) ?? m,
        ),
      )
      .join('${');
  }
  if (origins && seen.vars.length) origins.record(path, seen);
  return out;
}

/** The variables one string referenced, as lookups met them. */
interface Seen {
  vars: string[];
  empty: string[];
}

function lookup(
  name: string,
  def: string | undefined,
  env: NodeJS.ProcessEnv,
  problems: Problem[],
  path: PropertyKey[],
  seen: Seen,
): string | undefined {
  // Own string values only: `${__proto__}` or `${constructor}` must not read an object's prototype
  // (the reference would become Object.prototype, and an override of a key under it pollute every object).
  const own = Object.hasOwn(env, name) ? env[name] : undefined;
  const v = typeof own === 'string' ? own : undefined;
  if (!seen.vars.includes(name)) seen.vars.push(name);
  if (v !== undefined && v !== '') return v;
  if (!seen.empty.includes(name)) seen.empty.push(name);
  if (def !== undefined) return def;
  problems.push({
    code: ProblemCode.CONFIG_ENV_MISSING,
    path: formatPath(path),
    message: `environment variable ${name} is not set; set it, or write \${${name}:-default} to give a default`,
  });
  return undefined;
}

function typeScalar(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s) && s.length < 16) return Number(s);
  return s;
}

/** Exposed for env overrides, which follow the same scalar typing. */
export { typeScalar };
