/**
 * Generates config/aihub.schema.json (editor autocomplete for aihub.yaml) and the config reference
 * table in every plugin README, from the same zod schemas the kernel validates with.
 * Run: npm run schema. A test fails when the committed files are out of date.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  configRows,
  configTable,
  coreConfigSchema,
  toJsonSchema,
  withConfigTable,
  type PluginDefinition,
} from '@aihub/core';

const root = path.resolve(__dirname, '..');

export function loadPluginDefinitions(): { dir: string; def: PluginDefinition }[] {
  const out: { dir: string; def: PluginDefinition }[] = [];
  for (const dir of readdirSync(path.join(root, 'plugins')).sort()) {
    const index = path.join(root, 'plugins', dir, 'src', 'index.ts');
    if (!existsSync(index)) continue;
    const mod = require(index);
    const def = (mod.default ?? mod) as PluginDefinition;
    if (def?.apiVersion) out.push({ dir, def });
  }
  return out;
}

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonSchema => toJsonSchema(schema);

export function buildConfigSchema(plugins: { def: PluginDefinition }[]): JsonSchema {
  const core = toSchema(coreConfigSchema);
  const props = core.properties as Record<string, JsonSchema>;
  const entry = (props.plugins as { items: JsonSchema }).items;
  const variants = plugins.map(({ def }) => {
    const config = def.config ? toSchema(def.config) : { type: 'object', maxProperties: 0 };
    delete config.$schema;
    return {
      if: { properties: { name: { const: def.name } }, required: ['name'] },
      then: { properties: { config: { ...config, description: `${def.description ?? def.name} configuration` } } },
    };
  });
  (props.plugins as { items: JsonSchema }).items = {
    ...entry,
    properties: {
      ...(entry.properties as object),
      name: { ...(entry.properties as Record<string, JsonSchema>).name, examples: plugins.map((p) => p.def.name) },
    },
    allOf: variants,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://aihub.dev/schemas/aihub.schema.json',
    title: 'AI Hub configuration',
    ...core,
  };
}

export { configRows, configTable, withConfigTable };

if (require.main === module) {
  const plugins = loadPluginDefinitions();
  const schemaFile = path.join(root, 'config', 'aihub.schema.json');
  writeFileSync(schemaFile, `${JSON.stringify(buildConfigSchema(plugins), null, 2)}\n`);
  for (const { dir, def } of plugins) {
    const file = path.join(root, 'plugins', dir, 'README.md');
    const readme = existsSync(file)
      ? readFileSync(file, 'utf8')
      : `# @aihub/plugin-${def.name}\n\n${def.description ?? ''}\n`;
    writeFileSync(file, withConfigTable(readme, def));
  }
  process.stdout.write(`wrote ${path.relative(root, schemaFile)} and ${plugins.length} plugin config tables\n`);
}
