import type { z } from 'zod';
import { didYouMean } from './didYouMean';
import { formatPath, ProblemCode, type Problem } from './problems';

/** Where to look up a key's allowed values: core keys in the README and schema, plugin keys in its README. */
export interface ProblemSource {
  /** The schema the issues came from, to suggest the closest known key for an unknown one. */
  schema?: z.ZodType;
  /** e.g. `plugins/ai/README.md`; default: the README's configuration section and config/aihub.schema.json. */
  docs?: string;
}

const CORE_DOCS = 'the Configuration section of README.md and config/aihub.schema.json';

/** Turns zod issues into problems with full config paths and a hint of what to fix. */
export function zodProblems(
  error: z.ZodError,
  basePath: readonly PropertyKey[] = [],
  source: ProblemSource = {},
): Problem[] {
  const problems: Problem[] = [];
  const docs = source.docs ?? CORE_DOCS;
  for (const issue of error.issues) {
    const path = [...basePath, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = source.schema ? keysAt(source.schema, issue.path) : [];
      for (const key of issue.keys) {
        const hint = didYouMean(key, known);
        problems.push({
          code: ProblemCode.CONFIG_UNKNOWN_KEY,
          path: formatPath([...path, key]),
          message: `unknown key "${key}"${hint}${hint ? ' ' : '; '}remove it or check its spelling against ${docs}`,
        });
      }
      continue;
    }
    problems.push({
      code: ProblemCode.CONFIG_INVALID,
      path: formatPath(path),
      // A refinement's message (a cross-reference, a combination of keys) already says what to do.
      message:
        issue.code === 'custom'
          ? `${issue.message} (see ${docs})`
          : `invalid value: ${issue.message}; fix it (allowed values: ${docs})`,
    });
  }
  return problems;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (s: z.ZodType): SchemaDef => (s as unknown as { def: SchemaDef }).def;

/** Peels defaults, optionals and transforms off a schema to reach the object, record or array inside. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return s;
    s = next;
  }
  return s;
}

/** The keys an object schema accepts at a path (empty when the path leads elsewhere). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s = unwrap(schema);
  for (const seg of path) {
    const def = defOf(s);
    const next =
      def.type === 'object'
        ? def.shape?.[String(seg)]
        : def.type === 'record'
          ? def.valueType
          : def.type === 'array'
            ? def.element
            : undefined;
    if (!next) return [];
    s = unwrap(next);
  }
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
