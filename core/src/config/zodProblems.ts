import type { z } from 'zod';
import { formatPath, ProblemCode, type Problem } from './problems';

/** Turns zod issues into problems with full config paths and a hint of what to fix. */
export function zodProblems(error: z.ZodError, basePath: readonly PropertyKey[] = []): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = [...basePath, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          code: ProblemCode.CONFIG_UNKNOWN_KEY,
          path: formatPath([...path, key]),
          message: `unknown key "${key}"; remove it or check its spelling against config/aihub.schema.json`,
        });
      }
      continue;
    }
    problems.push({ code: ProblemCode.CONFIG_INVALID, path: formatPath(path), message: `invalid value: ${issue.message}; fix it (allowed values are in config/aihub.schema.json and the plugin's README)` });
  }
  return problems;
}
