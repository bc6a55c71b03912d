import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { didYouMean } from '../config/didYouMean';
import semver from 'semver';
import type { PluginEntry } from '../config/coreSchema';
import { formatPath, ProblemCode, type Problem } from '../config/problems';
import { zodProblems } from '../config/zodProblems';
import { CORE_VERSION } from '../version';
import { isPhase } from './phases';
import { PLUGIN_API_VERSION, type PluginDefinition } from './types';

export interface ResolvedPlugin {
  definition: PluginDefinition;
  /** Validated config with defaults applied. */
  config: unknown;
  /** Index in the config's plugins array (for problem paths). */
  index: number;
  source: string;
}

/** A definition given directly (tests, embedding) instead of by package name. */
export type PluginSource = PluginEntry & { definition?: PluginDefinition };

const NAME = /^[a-z][a-z0-9-]*$/;

/** `health` → `@aihub/plugin-health`; a name with a slash or dot is a package or path as is. */
export function packageFor(entry: PluginEntry, baseDir: string): string {
  const spec = entry.package ?? `@aihub/plugin-${entry.name}`;
  if (spec.startsWith('.') || spec.startsWith('/')) return path.resolve(baseDir, spec);
  return spec;
}

async function importPlugin(spec: string): Promise<unknown> {
  // require() first: CommonJS builds and, on Node >= 20.19, ESM packages too. Fall back to import().
  try {
    const mod = require(spec);
    return mod?.default ?? mod;
  } catch (err) {
    if (
      (err as { code?: string }).code === 'ERR_REQUIRE_ESM' ||
      (err as { code?: string }).code === 'ERR_REQUIRE_ASYNC_MODULE'
    ) {
      const mod = await import(spec);
      return mod?.default ?? mod;
    }
    throw err;
  }
}

/** Names of the `@aihub/plugin-*` packages installed above `baseDir` or this core (for "did you mean"). */
function installedPluginNames(baseDir: string): string[] {
  const names = new Set<string>();
  for (let start of [baseDir, __dirname]) {
    for (let i = 0; i < 10; i++) {
      const scope = path.join(start, 'node_modules', '@aihub');
      if (existsSync(scope))
        for (const d of readdirSync(scope)) if (d.startsWith('plugin-')) names.add(d.slice('plugin-'.length));
      const up = path.dirname(start);
      if (up === start) break;
      start = up;
    }
  }
  return [...names];
}

/**
 * Why a plugin that exists could not be loaded, with what to do: TypeScript sources run only under
 * tsx (which `config validate` from a checkout uses), never under plain node (`npm start`).
 */
function loadFailure(name: string, spec: string, err: Error): string {
  let entry = spec;
  try {
    entry = require.resolve(spec);
  } catch {
    // keep the spec
  }
  const ts = /\.(c|m)?tsx?$/.test(entry);
  const syntax =
    err instanceof SyntaxError || /Unexpected (identifier|token)|Unknown file extension ".ts"/.test(err.message);
  if (ts || syntax) {
    return `plugin "${name}" failed to load from ${entry}: ${err.message.split('\n')[0]}; ${ts ? 'that is a TypeScript file, which plain node cannot run' : 'this looks like source node cannot run (TypeScript?)'}: build the plugin first (tsc) and point "package" (or the package.json "main") to the compiled .js in dist/ — see docs/plugins.md, "Your own plugin package"`;
  }
  return `plugin "${name}" failed to load from ${entry}: ${err.message.split('\n')[0]}`;
}

/**
 * Loads every enabled plugin, validates manifests and configs, checks dependencies and cycles, and
 * returns the plugins in start order. Never throws for bad input: every problem is collected.
 */
export async function resolvePlugins(
  entries: PluginSource[],
  baseDir: string,
): Promise<{ plugins: ResolvedPlugin[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const byName = new Map<string, ResolvedPlugin>();
  const enabledNames = new Set(entries.filter((e) => e.enabled !== false).map((e) => e.name));

  for (const [index, entry] of entries.entries()) {
    if (entry.enabled === false) continue;
    const at = formatPath(['plugins', index]);
    const spec = entry.definition ? `<inline ${entry.name}>` : packageFor(entry, baseDir);
    let def: PluginDefinition;
    if (entry.definition) {
      def = entry.definition;
    } else {
      try {
        def = (await importPlugin(spec)) as PluginDefinition;
      } catch (err) {
        const notFound =
          (err as { code?: string }).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(spec);
        problems.push({
          code: ProblemCode.PLUGIN_MISSING,
          path: `${at}.name`,
          message: notFound
            ? `plugin "${entry.name}" not found (looked for ${entry.package ? '' : 'package '}${spec})${entry.package ? '' : didYouMean(entry.name, installedPluginNames(baseDir))}; install it with npm, or fix the name or "package"${entry.package?.startsWith('.') ? ' (a relative "package" path is resolved from the config file\'s directory)' : ''}`
            : loadFailure(entry.name, spec, err as Error),
        });
        continue;
      }
    }
    const manifestProblems = checkManifest(def, entry.name, at);
    if (manifestProblems.length) {
      problems.push(...manifestProblems);
      continue;
    }
    if (byName.has(def.name)) {
      problems.push({
        code: ProblemCode.PLUGIN_DUPLICATE,
        path: at,
        message: `plugin "${def.name}" is listed twice (also at plugins[${byName.get(def.name)!.index}]); keep one entry`,
      });
      continue;
    }
    let config: unknown = entry.config ?? {};
    if (def.config) {
      const parsed = def.config.safeParse(entry.config ?? {});
      if (!parsed.success) {
        problems.push(
          ...zodProblems(parsed.error, ['plugins', index, 'config'], {
            schema: def.config,
            docs: `the "${def.name}" plugin's README`,
          }),
        );
        continue;
      }
      config = parsed.data;
    } else if (entry.config && Object.keys(entry.config).length) {
      problems.push({
        code: ProblemCode.CONFIG_UNKNOWN_KEY,
        path: `${at}.config`,
        message: `plugin "${def.name}" takes no configuration; remove "config"`,
      });
    }
    byName.set(def.name, { definition: def, config, index, source: spec });
  }

  // Dependencies: a dependency that is configured but failed to load is reported once, as the load error.
  for (const plugin of byName.values()) {
    for (const dep of plugin.definition.dependsOn ?? []) {
      if (!byName.has(dep) && !enabledNames.has(dep)) {
        problems.push({
          code: ProblemCode.DEPENDENCY_MISSING,
          path: formatPath(['plugins', plugin.index]),
          message: `plugin "${plugin.definition.name}" depends on "${dep}", which is not configured; add { name: ${dep} } to plugins or remove "${plugin.definition.name}"`,
        });
      }
    }
  }

  const { order, cycles } = topoSort([...byName.values()]);
  for (const cycle of cycles) {
    problems.push({
      code: ProblemCode.DEPENDENCY_CYCLE,
      path: formatPath(['plugins', byName.get(cycle[0])!.index]),
      message: `plugins depend on each other in a cycle: ${[...cycle, cycle[0]].join(' → ')}; break the cycle with optionalDependsOn or by removing a dependency`,
    });
  }
  return { plugins: order, problems };
}

function checkManifest(def: PluginDefinition | undefined, entryName: string, at: string): Problem[] {
  const bad = (message: string): Problem => ({ code: ProblemCode.PLUGIN_INVALID, path: at, message });
  if (!def || typeof def !== 'object')
    return [bad(`plugin "${entryName}" has no default export; export definePlugin({...}) as default`)];
  const out: Problem[] = [];
  if (def.apiVersion !== PLUGIN_API_VERSION)
    out.push(
      bad(`plugin "${entryName}" declares apiVersion "${def.apiVersion}"; this core supports "${PLUGIN_API_VERSION}"`),
    );
  if (typeof def.name !== 'string' || !NAME.test(def.name))
    out.push(bad(`plugin "${entryName}" has an invalid name "${def.name}"; names are kebab-case`));
  else if (def.name !== entryName)
    out.push(
      bad(`plugin at this entry is named "${def.name}", not "${entryName}"; make the config name match the plugin`),
    );
  if (typeof def.version !== 'string' || !semver.valid(def.version))
    out.push(bad(`plugin "${entryName}" has an invalid version "${def.version}"; use semver`));
  if (typeof def.core !== 'string' || !semver.validRange(def.core)) {
    out.push(bad(`plugin "${entryName}" has an invalid core range "${def.core}"; use a semver range such as ^0.1.0`));
  } else if (!semver.satisfies(CORE_VERSION, def.core, { includePrerelease: true })) {
    out.push({
      code: ProblemCode.PLUGIN_INCOMPATIBLE,
      path: at,
      message: `plugin "${entryName}" needs core ${def.core}, but this is core ${CORE_VERSION}; upgrade one of them`,
    });
  }
  if (Array.isArray(def.hooks)) {
    for (const hook of def.hooks)
      if (!isPhase(hook.phase)) out.push(bad(`plugin "${entryName}" has a hook in unknown phase "${hook.phase}"`));
  }
  return out;
}

/** Kahn's algorithm over dependsOn + optionalDependsOn (when present); reports each cycle once. */
function topoSort(plugins: ResolvedPlugin[]): { order: ResolvedPlugin[]; cycles: string[][] } {
  const byName = new Map(plugins.map((p) => [p.definition.name, p]));
  const deps = new Map<string, string[]>();
  for (const p of plugins) {
    const all = [...(p.definition.dependsOn ?? []), ...(p.definition.optionalDependsOn ?? [])].filter((d) =>
      byName.has(d),
    );
    deps.set(p.definition.name, all);
  }
  const order: ResolvedPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (name: string) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = stack.slice(stack.indexOf(name));
      const key = [...cycle].sort().join(',');
      if (!cycles.some((c) => [...c].sort().join(',') === key)) cycles.push(cycle);
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) visit(dep);
    stack.pop();
    state.set(name, 'done');
    order.push(byName.get(name)!);
  };
  // Visit in config order so independent plugins keep the operator's order.
  for (const p of [...plugins].sort((a, b) => a.index - b.index)) visit(p.definition.name);
  return { order: cycles.length ? [] : order, cycles };
}
