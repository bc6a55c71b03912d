import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pluginFiles, type TestRunner } from './pluginTemplates';

/** A command-line failure with the exit code it maps to (sysexits, like the rest of the CLI). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
/** EX_USAGE: a wrong argument. */
export const EXIT_USAGE = 64;
/** EX_CANTCREAT: the target exists and is not empty, or cannot be written. */
export const EXIT_CANTCREAT = 73;

const PLUGIN_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Why `name` is not a valid npm package name, or undefined when it is. The rules npm applies to new
 * packages: at most 214 characters, lowercase, URL-safe, no leading dot or underscore, not a Node
 * built-in module, `@scope/name` for a scoped package.
 */
export function npmNameProblem(name: string): string | undefined {
  if (!name) return 'a package name cannot be empty';
  if (name.length > 214) return 'a package name is at most 214 characters';
  if (name.trim() !== name) return 'a package name cannot start or end with spaces';
  if (name.toLowerCase() !== name) return 'a package name is lowercase';
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (name.startsWith('@') && !scoped) return 'a scoped package name is @scope/name';
  const parts = scoped ? [scoped[1], scoped[2]] : [name];
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return 'a package name cannot start with a dot or an underscore';
    if (/[~'!()*]/.test(part) || encodeURIComponent(part) !== part)
      return 'a package name has only URL-safe characters (letters, digits, - . _)';
  }
  if (!scoped && (builtinModules.includes(name) || name === 'node_modules' || name === 'favicon.ico'))
    return `"${name}" is reserved (a Node built-in module or an npm reserved name)`;
  return undefined;
}

/**
 * The plugin name for a package name: its last part without an `aihub-plugin-` or `plugin-` prefix
 * (`@acme/aihub-plugin-stamp` → `stamp`).
 */
export function pluginNameFor(packageName: string): string {
  const last = packageName.split('/').pop() ?? packageName;
  return last.replace(/^aihub-plugin-/, '').replace(/^plugin-/, '');
}

export interface ScaffoldOptions {
  /** npm package name; the plugin name is derived from it (pluginNameFor). */
  name: string;
  /** Target directory (default: `./<last part of the name>` under `cwd`). */
  dir?: string;
  runner?: string;
  cwd?: string;
}

export interface ScaffoldResult {
  dir: string;
  packageName: string;
  pluginName: string;
  runner: TestRunner;
  files: string[];
}

/**
 * Writes a new plugin package: manifest, config, hooks, routes, a test on startTestGateway, README
 * with the config table, package.json with build and test scripts, tsconfig. Refuses a bad name
 * (exit 64) and a directory that exists and is not empty (exit 73); writes nothing then.
 */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const packageName = options.name;
  const problem = npmNameProblem(packageName);
  if (problem)
    throw new CliError(
      `"${packageName}" is not a valid npm package name: ${problem}; e.g. aihub plugin new aihub-plugin-my-feature`,
      EXIT_USAGE,
    );
  const pluginName = pluginNameFor(packageName);
  if (!PLUGIN_NAME.test(pluginName)) {
    throw new CliError(
      `the plugin name taken from "${packageName}" would be "${pluginName}", which is not kebab-case (a-z, 0-9, -; starting with a letter); choose a package name whose last part is, e.g. aihub-plugin-my-feature`,
      EXIT_USAGE,
    );
  }
  const runner = (options.runner ?? 'node') as TestRunner;
  if (runner !== 'node' && runner !== 'jest')
    throw new CliError(
      `unknown test runner "${options.runner}"; use --test-runner node or --test-runner jest`,
      EXIT_USAGE,
    );
  const cwd = options.cwd ?? process.cwd();
  const dir = path.resolve(cwd, options.dir ?? packageName.split('/').pop()!);
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    if (err.code === 'ENOTDIR') throw new CliError(`${dir} exists and is a file; choose another --dir`, EXIT_CANTCREAT);
    throw err;
  });
  if (existing.length)
    throw new CliError(
      `${dir} exists and is not empty; nothing was written. Choose another --dir or an empty directory`,
      EXIT_CANTCREAT,
    );
  const files = pluginFiles({ packageName, pluginName, runner });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, { flag: 'wx' });
  }
  return { dir, packageName, pluginName, runner, files: Object.keys(files).sort() };
}
