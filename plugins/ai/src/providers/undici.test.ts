import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { Agent, errors, request } from './undici';

const manifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const pluginDir = path.resolve(__dirname, '../..');
const coreDir = path.dirname(createRequire(__filename).resolve('@aihub/core/package.json'));

test('the plugin pins the undici version core pins (its adapters use core’s copy, typed by their own)', () => {
  assert.equal(manifest(pluginDir).dependencies.undici, manifest(coreDir).dependencies.undici);
});

test('undici is loaded once: the adapters get the copy core loaded (issue 20: a second copy cost ~5 MB idle)', () => {
  const core = createRequire(path.join(coreDir, 'package.json'))('undici') as typeof import('undici');
  assert.equal(Agent, core.Agent);
  assert.equal(errors, core.errors);
  assert.equal(request, core.request);
  const loaded = Object.keys(require.cache).filter((f) => /\/undici\/index\.js$/.test(f));
  assert.equal(loaded.length, 1, loaded.join(', '));
});
