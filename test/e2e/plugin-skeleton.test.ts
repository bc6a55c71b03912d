import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Migration, PluginDefinition } from '@aihub/core/plugin-api';
import { pluginFiles } from '../../core/src/cli/pluginTemplates';

/**
 * The settled plugin skeleton (docs/plugins.md, "The same files in every plugin"): every plugin has
 * the same files for the same parts, and a part with a settled role lives under its settled name.
 * Parts may stay inline in index.ts while they are small; once in a file of their own, that file has
 * the settled name. Domain folders beside them are free, except migrations/.
 */
const root = path.resolve(__dirname, '../..');
const pluginsDir = path.join(root, 'plugins');
const plugins = readdirSync(pluginsDir)
  .filter((d) => existsSync(path.join(pluginsDir, d, 'package.json')))
  .sort();

/** Files every plugin has. */
const REQUIRED = ['package.json', 'README.md', 'src/index.ts', 'src/config.ts', 'src/errors.ts'];

/** Ad hoc names for settled parts, and the name the part goes by. */
const SETTLED_NAME: Record<string, string> = {
  'deps.ts': 'types.ts',
  'migrations.ts': 'migrations/ (one file per migration)',
  'plugin.ts': 'index.ts',
  'manifest.ts': 'index.ts',
  'definition.ts': 'index.ts',
  'error.ts': 'errors.ts',
  'hook.ts': 'hooks.ts',
  'route.ts': 'routes.ts',
  'metric.ts': 'metrics.ts',
  'model.ts': 'models.ts',
  'state.ts': 'runtime.ts',
  'healthChecks.ts': 'health.ts',
};

/** What marks a top-level source file as a settled part, and the only file that part may be. */
const ROLES: { what: string; file: string; marker: RegExp }[] = [
  { what: 'the plugin definition (definePlugin)', file: 'index.ts', marker: /\bdefinePlugin\s*\(/ },
  { what: 'the error table (defineErrors)', file: 'errors.ts', marker: /\bdefineErrors\s*\(/ },
  {
    what: 'the runtime factory (createRuntime)',
    file: 'runtime.ts',
    marker: /export\s+(async\s+)?function\s+createRuntime\b/,
  },
  { what: 'database models (Sequelize)', file: 'models.ts', marker: /\bextends\s+Model<|\bsequelize\.define\s*[<(]/ },
  { what: 'a service token for other plugins (createToken)', file: 'service.ts', marker: /\bcreateToken\s*[<(]/ },
];

/** A migration object written outside migrations/. */
const MIGRATION_OUTSIDE = /:\s*Migration(\[\])?\s*=/;
const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.ts$/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Deviations of one plugin's files (`files`: path relative to the plugin → contents) from the skeleton. */
function deviations(files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const required of REQUIRED) if (!files.has(required)) problems.push(`missing ${required}`);
  for (const [rel, text] of files) {
    if (!rel.startsWith('src/') || !rel.endsWith('.ts') || rel.endsWith('.test.ts')) continue;
    const inSrc = rel.slice('src/'.length);
    const topLevel = !inSrc.includes('/');
    const base = path.basename(rel);
    if (topLevel && SETTLED_NAME[base]) problems.push(`${rel}: name it ${SETTLED_NAME[base]}`);
    if (topLevel) {
      for (const role of ROLES) {
        if (base !== role.file && role.marker.test(text))
          problems.push(`${rel} holds ${role.what}: that is src/${role.file}`);
      }
    }
    if (!inSrc.startsWith('migrations/') && MIGRATION_OUTSIDE.test(text))
      problems.push(`${rel} defines a migration: one file per migration in src/migrations/`);
    if (inSrc.startsWith('migrations/')) {
      const name = inSrc.slice('migrations/'.length);
      if (name !== 'index.ts' && name !== 'columns.ts' && !MIGRATION_FILE.test(name)) {
        problems.push(`${rel}: src/migrations/ holds index.ts, columns.ts and NNNN_name.ts files only`);
      }
    }
  }
  return problems;
}

function pluginTree(plugin: string): Map<string, string> {
  const dir = path.join(pluginsDir, plugin);
  const files = new Map<string, string>();
  for (const name of ['package.json', 'README.md']) if (existsSync(path.join(dir, name))) files.set(name, '');
  for (const file of sourceFiles(path.join(dir, 'src')))
    files.set(path.relative(dir, file).split(path.sep).join('/'), readFileSync(file, 'utf8'));
  return files;
}

async function definitionOf(plugin: string): Promise<PluginDefinition> {
  const mod = (await import(path.join(pluginsDir, plugin, 'src', 'index.ts'))) as {
    default: PluginDefinition | { default: PluginDefinition };
  };
  const def = mod.default;
  return 'default' in def ? def.default : def;
}

describe('the same files in every plugin', () => {
  for (const plugin of plugins) {
    it(`${plugin} follows the skeleton`, () => {
      assert.deepEqual(deviations(pluginTree(plugin)), []);
    });
  }

  for (const plugin of plugins.filter((p) => existsSync(path.join(pluginsDir, p, 'src', 'migrations')))) {
    it(`${plugin}: one file per migration, named as it is recorded, all listed in order`, async () => {
      const dir = path.join(pluginsDir, plugin, 'src', 'migrations');
      const files = readdirSync(dir)
        .filter((f) => MIGRATION_FILE.test(f))
        .sort();
      for (const file of files) {
        const mod = (await import(path.join(dir, file))) as { migration?: Migration };
        assert.equal(
          mod.migration?.name,
          file.replace(/\.ts$/, ''),
          `${plugin}/src/migrations/${file} exports \`migration\` named as its file`,
        );
      }
      const listed = ((await definitionOf(plugin)).migrations ?? []).map((m) => m.name);
      assert.deepEqual(
        listed,
        files.map((f) => f.replace(/\.ts$/, '')),
        'the definition lists every migration file, in order',
      );
    });
  }

  it('the scaffold (aihub plugin new) writes the skeleton', () => {
    for (const runner of ['node', 'jest'] as const) {
      const files = new Map(
        Object.entries(pluginFiles({ packageName: 'aihub-plugin-skel', pluginName: 'skel', runner })),
      );
      assert.deepEqual(deviations(files), [], runner);
    }
  });

  it('catches a part under another name, a migration outside migrations/ and a stray migration file', () => {
    const files = new Map<string, string>([
      ['package.json', ''],
      ['README.md', ''],
      ['src/index.ts', 'export default definePlugin({})'],
      ['src/config.ts', ''],
      ['src/errors.ts', 'export const e = defineErrors({})'],
      ['src/deps.ts', ''],
      ['src/plumbing.ts', 'export function createRuntime() {}'],
      ['src/tables.ts', 'export const migrations: Migration[] = []'],
      ['src/migrations/add_column.ts', ''],
    ]);
    assert.deepEqual(deviations(files), [
      'src/deps.ts: name it types.ts',
      'src/plumbing.ts holds the runtime factory (createRuntime): that is src/runtime.ts',
      'src/tables.ts defines a migration: one file per migration in src/migrations/',
      'src/migrations/add_column.ts: src/migrations/ holds index.ts, columns.ts and NNNN_name.ts files only',
    ]);
    files.delete('src/errors.ts');
    assert.ok(deviations(files).includes('missing src/errors.ts'));
  });
});
