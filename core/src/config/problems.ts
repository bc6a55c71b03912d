/**
 * Every startup problem has a stable code, the config path it concerns and a sentence saying what to
 * fix. All problems are collected and reported together, so an operator fixes a config in one pass.
 */
export const ProblemCode = {
  CONFIG_NOT_FOUND: 'AIHUB_E_CONFIG_NOT_FOUND',
  CONFIG_PARSE: 'AIHUB_E_CONFIG_PARSE',
  CONFIG_ENV_MISSING: 'AIHUB_E_CONFIG_ENV_MISSING',
  CONFIG_INVALID: 'AIHUB_E_CONFIG_INVALID',
  CONFIG_UNKNOWN_KEY: 'AIHUB_E_CONFIG_UNKNOWN_KEY',
  PLUGIN_MISSING: 'AIHUB_E_PLUGIN_MISSING',
  PLUGIN_INVALID: 'AIHUB_E_PLUGIN_INVALID',
  PLUGIN_DUPLICATE: 'AIHUB_E_PLUGIN_DUPLICATE',
  PLUGIN_INCOMPATIBLE: 'AIHUB_E_PLUGIN_INCOMPATIBLE',
  DEPENDENCY_MISSING: 'AIHUB_E_DEPENDENCY_MISSING',
  DEPENDENCY_CYCLE: 'AIHUB_E_DEPENDENCY_CYCLE',
  PIPELINE_INVALID: 'AIHUB_E_PIPELINE_INVALID',
  ROUTE_CONFLICT: 'AIHUB_E_ROUTE_CONFLICT',
  PLUGIN_START: 'AIHUB_E_PLUGIN_START',
  SERVICE_UNAVAILABLE: 'AIHUB_E_SERVICE_UNAVAILABLE',
  MIGRATIONS_PENDING: 'AIHUB_E_MIGRATIONS_PENDING',
} as const;

export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface Problem {
  code: ProblemCode;
  /** Config path such as `plugins[3].config.redis.url`, or `` for the file itself. */
  path: string;
  message: string;
}

const CONFIG_CODES = new Set<string>(
  Object.values(ProblemCode).filter(
    (c) =>
      c !== ProblemCode.SERVICE_UNAVAILABLE && c !== ProblemCode.MIGRATIONS_PENDING && c !== ProblemCode.PLUGIN_START,
  ),
);

/** sysexits.h EX_CONFIG: the configuration is wrong. */
export const EXIT_CONFIG = 78;

export class StartupError extends Error {
  readonly problems: Problem[];
  readonly exitCode = EXIT_CONFIG;

  constructor(problems: Problem[]) {
    super(formatProblems(problems));
    this.name = 'StartupError';
    this.problems = problems;
  }
}

export function formatProblems(problems: Problem[]): string {
  // Pending migrations or an unreachable database are not mistakes in the file; say so.
  const kind = problems.every((p) => CONFIG_CODES.has(p.code)) ? 'configuration problem' : 'startup problem';
  const head = `AI Hub cannot start: ${problems.length} ${kind}${problems.length === 1 ? '' : 's'}`;
  return [head, ...problems.map((p) => `  ${p.code} ${p.path || '<config>'}: ${p.message}`)].join('\n');
}

/** `['plugins', 3, 'config', 'redis']` → `plugins[3].config.redis` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
