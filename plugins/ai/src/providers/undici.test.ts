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
  const ownCopy = Object.keys(require.cache).filter((f) => f.includes('/plugins/ai/node_modules/undici/'));
  assert.deepEqual(ownCopy, []);
  const core = createRequire(path.join(coreDir, 'package.json'))('undici') as typeof import('undici');
  assert.equal(Agent, core.Agent);
  assert.equal(errors, core.errors);
  assert.equal(typeof request, 'function');
});
