import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { coreConfigSchema, type CoreConfig } from './coreSchema';
import { interpolate, typeScalar } from './interpolate';
import { ProblemCode, type Problem } from './problems';
import { zodProblems } from './zodProblems';

export interface LoadedConfig {
  config: CoreConfig;
  /** Absolute path of the file, or undefined for an inline config. */
  file?: string;
  /** Directory relative plugin paths resolve from. */
  baseDir: string;
}

export interface LoadConfigOptions {
  file?: string;
  /** An already parsed config object (tests, startTestGateway) instead of a file. */
  inline?: unknown;
  env?: NodeJS.ProcessEnv;
  /** --port from the command line; wins over everything. */
  port?: number;
  baseDir?: string;
}

/** Default file: AIHUB_CONFIG, else config/aihub.yaml in the working directory. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.AIHUB_CONFIG ?? 'config/aihub.yaml');
}

/**
 * Loads, interpolates, overrides from the environment and validates the core part of the config.
 * Returns problems instead of throwing so they can be reported together with plugin problems.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<{ loaded?: LoadedConfig; problems: Problem[] }> {
  const env = options.env ?? process.env;
  const problems: Problem[] = [];
  let raw: unknown = options.inline;
  let file: string | undefined;
  if (raw === undefined) {
    file = path.resolve(options.file ?? defaultConfigFile(env));
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ code: ProblemCode.CONFIG_NOT_FOUND, path: '', message: `cannot read ${file} (${(err as Error).message}); pass --config FILE or set AIHUB_CONFIG` });
      return { problems };
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ code: ProblemCode.CONFIG_PARSE, path: '', message: `${file}: ${e.message.split('\n')[0]}` });
      return { problems };
    }
    try {
      raw = doc.toJS() ?? {};
    } catch (err) {
      // toJS refuses alias bombs (billion laughs) and similar; that is a file problem, not a crash.
      problems.push({ code: ProblemCode.CONFIG_PARSE, path: '', message: `${file}: ${(err as Error).message}; write the values out instead of through so many aliases` });
      return { problems };
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    // Env overrides and the schema both need a mapping; a scalar or list at the top is reported, not thrown on.
    problems.push({ code: ProblemCode.CONFIG_INVALID, path: '', message: `the config must be a mapping of sections (server, database, plugins, …), not ${Array.isArray(raw) ? 'a list' : raw === null ? 'null' : `a ${typeof raw}`}; check the file's indentation` });
    return { problems };
  }
  const interpolated = interpolate(raw, env, problems) as Record<string, unknown>;
  applyEnvOverrides(interpolated, env, options.port);
  const parsed = coreConfigSchema.safeParse(interpolated);
  if (!parsed.success) {
    // A value whose variable is missing is reported once, as the missing variable.
    const missing = new Set(problems.filter((p) => p.code === ProblemCode.CONFIG_ENV_MISSING).map((p) => p.path));
    problems.push(...zodProblems(parsed.error).filter((p) => !missing.has(p.path)));
    return { problems };
  }
  const baseDir = options.baseDir ?? (file ? path.dirname(file) : process.cwd());
  return { loaded: { config: parsed.data, file, baseDir }, problems };
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/**
 * Environment overrides, highest precedence after --port:
 * - well-known names: AIHUB_PORT, AIHUB_HOST, DATABASE_URL, REDIS_URL, AIHUB_DATA_DIR, AIHUB_LOG_LEVEL,
 *   OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL,
 *   OTEL_TRACES_SAMPLER_ARG;
 * - any core key as `AIHUB__SECTION__KEY` (double underscores; e.g. AIHUB__SERVER__BODY_LIMIT=2mb),
 *   snake case mapped to camelCase.
 */
function applyEnvOverrides(cfg: Record<string, unknown>, env: NodeJS.ProcessEnv, port?: number): void {
  const direct: [string, string[]][] = [
    ['AIHUB_HOST', ['server', 'host']],
    ['AIHUB_PORT', ['server', 'port']],
    ['DATABASE_URL', ['database', 'url']],
    ['REDIS_URL', ['redis', 'url']],
    ['AIHUB_DATA_DIR', ['dataDir']],
    ['AIHUB_LOG_LEVEL', ['logging', 'level']],
    ['AIHUB_LOG_FORMAT', ['logging', 'format']],
    ['OTEL_SERVICE_NAME', ['telemetry', 'serviceName']],
    ['OTEL_TRACES_SAMPLER_ARG', ['telemetry', 'tracing', 'sampleRatio']],
  ];
  for (const [name, keys] of direct) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(cfg, keys, typeScalar(v));
  }
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol) setPath(cfg, ['telemetry', 'tracing', 'protocol'], protocol);
  if (traces) setPath(cfg, ['telemetry', 'tracing', 'endpoint'], traces);
  else if (base) setPath(cfg, ['telemetry', 'tracing', 'endpoint'], `${base.replace(/\/$/, '')}/v1/traces`);
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith('AIHUB__') || v === undefined) continue;
    const keys = name
      .slice('AIHUB__'.length)
      .split('__')
      .map((k) => k.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    if (keys[0] === 'plugins') continue; // plugin config lives in an array; set it in the file
    setPath(cfg, keys, typeScalar(v));
  }
  if (port !== undefined) setPath(cfg, ['server', 'port'], port);
}

/** The database URL the embedded default uses when none is configured. */
export function resolveDatabaseUrl(config: CoreConfig, baseDir = process.cwd()): string {
  if (config.database.url) return config.database.url;
  return `sqlite:${path.resolve(baseDir, config.dataDir, 'aihub.sqlite')}`;
}
