import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildConfigSchema, configTable, loadPluginDefinitions } from '../../scripts/gen-schema';

const root = path.resolve(__dirname, '../..');

describe('generated configuration references', () => {
  const plugins = loadPluginDefinitions();

  it('config/aihub.schema.json matches the zod schemas (run `npm run schema` after changing a config schema)', () => {
    const committed = JSON.parse(readFileSync(path.join(root, 'config/aihub.schema.json'), 'utf8'));
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildConfigSchema(plugins))));
  });

  it('every plugin README carries its current config table', () => {
    for (const { dir, def } of plugins) {
      const readme = readFileSync(path.join(root, 'plugins', dir, 'README.md'), 'utf8');
      assert.ok(readme.includes(configTable(def)), `plugins/${dir}/README.md is out of date: run npm run schema`);
    }
  });

  it('the schema knows every plugin the repository ships', () => {
    const schema = buildConfigSchema(plugins) as { properties: { plugins: { items: { allOf: unknown[] } } } };
    assert.equal(schema.properties.plugins.items.allOf.length, plugins.length);
    assert.ok(plugins.length >= 9);
  });
});
