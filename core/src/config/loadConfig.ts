import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { coreConfigSchema, pluginEntrySchema, type CoreConfig, type PluginEntry } from './coreSchema';
import { interpolate, typeScalar } from './interpolate';
import { ConfigOrigins } from './origins';
import { ProblemCode, type Problem } from './problems';
import { zodProblems } from './zodProblems';

export interface LoadedConfig {
  config: CoreConfig;
  /** Absolute path of the file, or undefined for an inline config. */
  file?: string;
  /** Directory relative plugin paths resolve from. */
  baseDir: string;
  /** Which values the environment produced (`${VAR}`, overrides), by path: names only, never values. */
  origins: ConfigOrigins;
}

/** What is still usable of a config whose core part is invalid: its plugin entries. */
export interface PartialConfig {
  plugins: PluginEntry[];
  file?: string;
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
export async function loadConfig(
  options: LoadConfigOptions,
): Promise<{ loaded?: LoadedConfig; problems: Problem[]; partial?: PartialConfig }> {
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
      problems.push({
        code: ProblemCode.CONFIG_NOT_FOUND,
        path: '',
        message: `cannot read ${file} (${(err as Error).message}); pass --config FILE or set AIHUB_CONFIG`,
      });
      return { problems };
    }
    const parsed = parseYaml(text, file);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      return { problems };
    }
    raw = parsed.value;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    // Env overrides and the schema both need a mapping; a scalar or list at the top is reported, not thrown on.
    problems.push({
      code: ProblemCode.CONFIG_INVALID,
      path: '',
      message: `the config must be a mapping of sections (server, database, plugins, …), not ${Array.isArray(raw) ? 'a list' : raw === null ? 'null' : `a ${typeof raw}`}; check the file's indentation`,
    });
    return { problems };
  }
  const origins = new ConfigOrigins();
  const interpolated = interpolate(raw, env, problems, [], origins) as Record<string, unknown>;
  applyEnvOverrides(interpolated, env, options.port, origins);
  const parsed = coreConfigSchema.safeParse(interpolated);
  const baseDir = options.baseDir ?? (file ? path.dirname(file) : process.cwd());
  if (!parsed.success) {
    // A value whose variable is missing is reported once, as the missing variable.
    const missing = new Set(problems.filter((p) => p.code === ProblemCode.CONFIG_ENV_MISSING).map((p) => p.path));
    problems.push(...zodProblems(parsed.error, [], { schema: coreConfigSchema }).filter((p) => !missing.has(p.path)));
    // The plugin list may still be sound: hand it back so its problems join this report (one pass).
    const plugins = z.array(pluginEntrySchema).safeParse(interpolated.plugins ?? []);
    return { problems, partial: plugins.success ? { plugins: plugins.data, file, baseDir } : undefined };
  }
  return { loaded: { config: parsed.data, file, baseDir, origins }, problems };
}

/** `${VAR}` and `${VAR:-default}` on one line, as written in the file (see parseYaml). */
const TEXT_REF = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?\}/g;

/**
 * Parses YAML text. A file that does not parse is ONE problem with its line and column (later errors
 * are mostly echoes of the first). `${VAR}` is interpolated after parsing, so a reference inside a flow
 * mapping (`{ key: ${VAR} }`, where `{` would open another mapping) is read as the string it stands for.
 */
function parseYaml(text: string, file: string): { value: unknown } | { problem: Problem } {
  const options = { prettyErrors: true, uniqueKeys: true } as const;
  let doc = YAML.parseDocument(text, options);
  let restore = (v: unknown) => v;
  if (doc.errors.length && text.search(TEXT_REF) >= 0) {
    // Retry with each reference replaced by a plain word, then put the references back in the values.
    const nonce = `aihubref${Math.random().toString(36).slice(2, 10)}`;
    const refs: string[] = [];
    const masked = text.replace(TEXT_REF, (m) => `${nonce}n${refs.push(m) - 1}e`);
    const retry = YAML.parseDocument(masked, options);
    if (!retry.errors.length) {
      doc = retry;
      const token = new RegExp(`${nonce}n(\\d+)e`, 'g');
      const back = (s: string) => s.replace(token, (_, i: string) => refs[Number(i)]);
      const walk = (v: unknown): unknown => {
        if (typeof v === 'string') return back(v);
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === 'object')
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [back(k), walk(x)]));
        return v;
      };
      restore = walk;
    }
  }
  if (doc.errors.length) {
    const first = doc.errors[0];
    const at = first.linePos?.[0];
    const where = at ? `${file}:${at.line}:${at.col}` : file;
    const more = doc.errors.length > 1 ? ' (fix this first; later errors often follow from it)' : '';
    const message = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return {
      problem: { code: ProblemCode.CONFIG_PARSE, path: '', message: `${where}: YAML syntax error: ${message}${more}` },
    };
  }
  try {
    return { value: restore(doc.toJS() ?? {}) };
  } catch (err) {
    // toJS refuses alias bombs (billion laughs) and similar; that is a file problem, not a crash.
    return {
      problem: {
        code: ProblemCode.CONFIG_PARSE,
        path: '',
        message: `${file}: ${(err as Error).message}; write the values out instead of through so many aliases`,
      },
    };
  }
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
function applyEnvOverrides(
  cfg: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  port: number | undefined,
  origins: ConfigOrigins,
): void {
  // Each override is the value's origin now, in place of a reference the file may have had there.
  const setFrom = (name: string, keys: string[], value: unknown) => {
    setPath(cfg, keys, value);
    origins.record(keys, { vars: [name], empty: [] });
  };
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
    if (v !== undefined && v !== '') setFrom(name, keys, typeScalar(v));
  }
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol)
    setFrom(
      env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL',
      ['telemetry', 'tracing', 'protocol'],
      protocol,
    );
  if (traces) setFrom('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['telemetry', 'tracing', 'endpoint'], traces);
  else if (base)
    setFrom(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      ['telemetry', 'tracing', 'endpoint'],
      `${base.replace(/\/$/, '')}/v1/traces`,
    );
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith('AIHUB__') || v === undefined) continue;
    const keys = name
      .slice('AIHUB__'.length)
      .split('__')
      .map((k) => k.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    if (keys[0] === 'plugins') continue; // plugin config lives in an array; set it in the file
    setFrom(name, keys, typeScalar(v));
  }
  if (port !== undefined) {
    setPath(cfg, ['server', 'port'], port);
    origins.forget(['server', 'port']);
  }
}

/** The database URL the embedded default uses when none is configured. */
export function resolveDatabaseUrl(config: CoreConfig, baseDir = process.cwd()): string {
  if (config.database.url) return config.database.url;
  return `sqlite:${path.resolve(baseDir, config.dataDir, 'aihub.sqlite')}`;
}
