import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withConfigTable } from '../config/configTable';
import type { PluginDefinition } from '../kernel/types';
import { CliError } from './pluginNew';

/** What a package's README names as the command that regenerates its config table. */
export const README_GENERATOR = 'aihub plugin readme';

/** EX_DATAERR: `--check` found the README out of date. */
export const EXIT_STALE = 65;
/** EX_NOINPUT: no built plugin to read the schema from. */
export const EXIT_NOINPUT = 66;

async function loadDefinition(dir: string): Promise<PluginDefinition> {
  let mod: { default?: PluginDefinition } & PluginDefinition;
  try {
    mod = require(dir);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE')
      mod = await import(pathToFileURL(require.resolve(dir)).href);
    else
      throw new CliError(
        `cannot load the plugin in ${dir}: ${(err as Error).message.split('\n')[0]}; build it first (npm run build)`,
        EXIT_NOINPUT,
      );
  }
  const def = mod?.default ?? mod;
  if (!def || typeof def !== 'object' || !('apiVersion' in def))
    throw new CliError(`${dir} does not export a plugin (definePlugin({...}) as its default export)`, EXIT_NOINPUT);
  return def;
}

/**
 * Regenerates the config table in a plugin package's README.md from its built definition (the
 * package's `main`). With `check`, writes nothing and fails when the table is out of date.
 */
export async function updateReadme(dirArg: string, check = false): Promise<{ file: string; changed: boolean }> {
  const dir = path.resolve(dirArg);
  const def = await loadDefinition(dir);
  const file = path.join(dir, 'README.md');
  const before = await readFile(file, 'utf8').catch(() => `# ${def.name}\n\n${def.description ?? ''}\n`);
  const after = withConfigTable(before, def, README_GENERATOR);
  const changed = after !== before;
  if (changed && check)
    throw new CliError(`${file}: the config table is out of date; run aihub plugin readme ${dirArg}`, EXIT_STALE);
  if (changed) await writeFile(file, after);
  return { file, changed };
}
