import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CliError, EXIT_CANTCREAT, EXIT_USAGE, npmNameProblem, pluginNameFor, scaffoldPlugin } from './pluginNew';

const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-plugin-new-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('aihub plugin new: names', () => {
  it('accepts npm package names, plain and scoped', () => {
    for (const ok of ['aihub-plugin-stamp', '@acme/aihub-plugin-stamp', 'stamp', 'a1-b2', 'x.y'])
      assert.equal(npmNameProblem(ok), undefined, ok);
  });

  it('says what is wrong with a name npm would refuse', () => {
    assert.match(npmNameProblem('')!, /empty/);
    assert.match(npmNameProblem('Stamp')!, /lowercase/);
    assert.match(npmNameProblem('.stamp')!, /dot or an underscore/);
    assert.match(npmNameProblem('_stamp')!, /dot or an underscore/);
    assert.match(npmNameProblem('my stamp')!, /URL-safe/);
    assert.match(npmNameProblem('stamp!')!, /URL-safe/);
    assert.match(npmNameProblem('@acme')!, /@scope\/name/);
    assert.match(npmNameProblem('@acme/a/b')!, /@scope\/name/);
    assert.match(npmNameProblem('fs')!, /reserved/);
    assert.match(npmNameProblem('node_modules')!, /reserved/);
    assert.match(npmNameProblem('a'.repeat(215))!, /214/);
  });

  it('takes the plugin name from the package name', () => {
    assert.equal(pluginNameFor('aihub-plugin-stamp'), 'stamp');
    assert.equal(pluginNameFor('@acme/aihub-plugin-stamp'), 'stamp');
    assert.equal(pluginNameFor('@acme/plugin-stamp'), 'stamp');
    assert.equal(pluginNameFor('stamp-it'), 'stamp-it');
  });
});

describe('aihub plugin new: files', () => {
  it('writes the skeleton with the plugin name filled in, and a Jest config for --test-runner jest', async () => {
    const r = await scaffoldPlugin({ name: '@acme/aihub-plugin-my-stamp', dir: 'my-stamp', runner: 'jest', cwd: tmp });
    assert.equal(r.pluginName, 'my-stamp');
    assert.ok(r.files.includes('jest.config.js') && r.files.includes('src/my-stamp.test.ts'));
    const pkg = JSON.parse(readFileSync(path.join(r.dir, 'package.json'), 'utf8')) as {
      name: string;
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.equal(pkg.name, '@acme/aihub-plugin-my-stamp');
    assert.equal(pkg.scripts.test, 'jest');
    assert.ok(pkg.devDependencies['@swc/jest'] && !pkg.devDependencies.tsx);
    const index = readFileSync(path.join(r.dir, 'src/index.ts'), 'utf8');
    assert.match(index, /name: 'my-stamp'/);
    assert.match(index, /import \{ myStampConfig \} from '\.\/config'/);
  });

  it('refuses bad names and runners with exit 64, an occupied directory with 73, writing nothing', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 0,
        (e: unknown) => (e instanceof CliError ? e.exitCode : -1),
      );
    assert.equal(await code(scaffoldPlugin({ name: 'Bad', cwd: tmp })), EXIT_USAGE);
    assert.equal(await code(scaffoldPlugin({ name: 'aihub-plugin-9lives', cwd: tmp })), EXIT_USAGE);
    assert.equal(await code(scaffoldPlugin({ name: 'good', runner: 'mocha', cwd: tmp })), EXIT_USAGE);
    writeFileSync(path.join(tmp, 'a-file'), 'x');
    assert.equal(await code(scaffoldPlugin({ name: 'good', dir: 'a-file', cwd: tmp })), EXIT_CANTCREAT);
    assert.equal(await code(scaffoldPlugin({ name: 'good', dir: 'my-stamp', cwd: tmp })), EXIT_CANTCREAT);
  });
});
