import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../services/createLogger';
import { prepare, type Prepared, type PrepareOptions } from '../kernel/prepare';
import type { PluginContext, PluginDefinition } from '../kernel/types';
import { ConfigOrigins } from './origins';
import { ProblemCode, StartupError, formatPath, type Problem } from './problems';

/**
 * Core config paths applied without a restart. The rest of core (listeners, database, Redis,
 * telemetry exporters, the pipeline) is wired at boot.
 */
export const CORE_RELOADABLE = ['logging.level'] as const;

/** What a config reload did (SIGHUP, `aihub config reload`, POST /admin/v1/config/reload). */
export interface ReloadReport {
  /** `applied`: something changed and was applied; `unchanged`: nothing to apply; `invalid`: the file (or a plugin) refused it, the running config stays. */
  outcome: 'applied' | 'unchanged' | 'invalid';
  file: string | null;
  /** Config paths now in effect (`logging.level`, `plugins[0].config.models.gpt-4o`). */
  applied: string[];
  /** Paths that differ from the running process' config but only take effect after a restart. */
  restartRequired: string[];
  /** Why the file was refused: the same problems a start would report. */
  problems: Problem[];
}

/** A plugin as the kernel runs it. */
export interface ReloadTarget {
  definition: PluginDefinition;
  ctx: PluginContext;
}

/**
 * Leaf paths where `a` and `b` differ (`server.port`, `models.gpt-4o.deployments[0].weight`). An
 * object key present on one side only is one path; arrays compare by index.
 */
export function changedPaths(a: unknown, b: unknown, path: PropertyKey[] = []): string[] {
  if (Object.is(a, b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      out.push(...(i < a.length && i < b.length ? changedPaths(a[i], b[i], [...path, i]) : [formatPath([...path, i])]));
    return out;
  }
  if (isObj(a) && isObj(b)) {
    const out: string[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(k in a) || !(k in b)) out.push(formatPath([...path, k]));
      else out.push(...changedPaths(a[k], b[k], [...path, k]));
    }
    return out;
  }
  return [formatPath(path)];
}

const under = (path: string, roots: readonly string[]) =>
  roots.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`));

/**
 * Reads the config file again with every check of a start (`prepare`), then applies what can change
 * live: core's log level, and each plugin's `reloadable` sections through its `reload`. Changes
 * elsewhere are listed as needing a restart. A file that does not pass keeps everything running as it
 * is and reports the same problems a start would.
 *
 * `boot` is the config the process started with (restart-required paths are measured against it);
 * `running` the config last applied (what a plugin's `reload` gets a change against).
 */
export async function reloadConfig(input: {
  options: PrepareOptions;
  boot: Prepared;
  running: Prepared;
  plugins: ReloadTarget[];
  logger: Logger;
}): Promise<{ report: ReloadReport; next?: Prepared }> {
  const { boot, running, logger } = input;
  const file = boot.file ?? null;
  let next: Prepared;
  try {
    next = await prepare(input.options);
  } catch (err) {
    const problems =
      err instanceof StartupError
        ? err.problems
        : [{ code: ProblemCode.CONFIG_INVALID, path: '', message: (err as Error).message }];
    logger.error(
      `config reload refused; the running config stays (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p.code} ${p.path || '<config>'}: ${p.message}`).join('\n')}`,
      { file, problems },
    );
    return { report: { outcome: 'invalid', file, applied: [], restartRequired: [], problems } };
  }
  const applied: string[] = [];
  const restartRequired: string[] = [];
  const problems: Problem[] = [];
  // The running plugins' contexts read the boot origins (ctx.configOrigin): they answer for the new file
  // from here on, so what a plugin's `reload` builds names the new file's variables.
  const previousOrigins = new ConfigOrigins();
  previousOrigins.replaceWith(boot.origins);
  boot.origins.replaceWith(next.origins);

  const { plugins: bootPlugins, ...bootCore } = boot.config;
  const { plugins: nextPlugins, ...nextCore } = next.config;
  const { plugins: _running, ...runningCore } = running.config;
  for (const p of changedPaths(bootCore, nextCore)) if (!under(p, CORE_RELOADABLE)) restartRequired.push(p);
  if (nextCore.logging.level !== runningCore.logging.level) {
    logger.level = nextCore.logging.level;
    applied.push('logging.level');
  }
  const names = (list: { name: string }[]) => list.map((e) => e.name).join(',');
  if (names(bootPlugins) !== names(nextPlugins)) restartRequired.push('plugins');

  for (const target of input.plugins) {
    const def = target.definition;
    const before = boot.plugins.find((p) => p.definition.name === def.name);
    const now = next.plugins.find((p) => p.definition.name === def.name);
    const last = running.plugins.find((p) => p.definition.name === def.name);
    if (!before || !now || !last) continue;
    const prefix = `plugins[${now.index}].config`;
    const reloadable = def.reload ? (def.reloadable ?? []) : [];
    for (const p of changedPaths(before.config, now.config))
      if (!under(p, reloadable)) restartRequired.push(`${prefix}.${p}`);
    const live = changedPaths(last.config, now.config).filter((p) => under(p, reloadable));
    if (!live.length) continue;
    try {
      await def.reload!(target.ctx, now.config, live);
      applied.push(...live.map((p) => `${prefix}.${p}`));
    } catch (err) {
      const list = (err as { problems?: Problem[] }).problems;
      problems.push(
        ...(list ?? [{ code: ProblemCode.CONFIG_INVALID, path: prefix, message: (err as Error).message }]).map((x) => ({
          ...x,
          path: x.path.startsWith('plugins[') ? x.path : `${prefix}${x.path ? `.${x.path}` : ''}`,
        })),
      );
    }
  }
  // A refusal puts back the origins of the config that stays in effect.
  if (problems.length) boot.origins.replaceWith(previousOrigins);
  const outcome = problems.length ? 'invalid' : applied.length ? 'applied' : 'unchanged';
  const report: ReloadReport = { outcome, file, applied, restartRequired, problems };
  if (problems.length)
    logger.error(
      `config reload: a plugin refused its new config; it keeps running with the old one:\n${problems.map((p) => `  ${p.code} ${p.path}: ${p.message}`).join('\n')}`,
      { file, problems, applied },
    );
  else
    logger.info(
      `config reloaded: ${applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply'}${restartRequired.length ? `; needs a restart: ${restartRequired.join(', ')}` : ''}`,
      { file, applied, restart_required: restartRequired },
    );
  return { report, next: problems.length ? undefined : next };
}

/** `aihub_config_reloads_total{outcome}`: config reloads by outcome (applied, unchanged, invalid). */
export function reloadCounter(registry: Registry): Counter<'outcome'> {
  const name = 'aihub_config_reloads_total';
  return (
    (registry.getSingleMetric(name) as Counter<'outcome'> | undefined) ??
    new Counter({
      name,
      help: 'Config file reloads (SIGHUP, aihub config reload), by outcome: applied, unchanged, invalid (the running config stays)',
      labelNames: ['outcome'],
      registers: [registry],
    })
  );
}
