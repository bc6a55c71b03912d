import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot, runCli, runCliToEnd } from './support';

// Issue 14, the operator's first hour: what the CLI says when the operator or the shell does
// something ordinary (a typo, a pipe into head, manual migrations, a rolling restart).
const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-first-hour-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('aihub CLI, first hour', () => {
  it('a wrong migrate direction is a usage error (exit 64), not a stack trace', async () => {
    const { code, stderr } = await runCliToEnd(['migrate', 'sideways']);
    assert.equal(code, 64, stderr);
    assert.match(stderr, /unknown migrate direction "sideways"; use: aihub migrate up\|down\|status/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('migrate status into a closed pipe (| head) exits quietly', async () => {
    const child = runCli(['migrate', 'status', '--config', 'config/aihub.yaml'], {
      AIHUB_DATA_DIR: path.join(tmp, 'epipe'),
    });
    // The reader goes away before anything is written, as `| head -1` does after its first line.
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });

  it('migrate: manual with migrations pending says so and names the command (not a config problem)', async () => {
    const file = path.join(tmp, 'manual.yaml');
    writeFileSync(
      file,
      `server: { host: 127.0.0.1, port: 0 }\ndatabase: { url: "sqlite:${path.join(tmp, 'manual.sqlite')}", migrate: manual }\nlogging: { level: error }\nplugins:\n  - name: health\n`,
    );
    const { code, stderr } = await runCliToEnd(['start', '--config', file]);
    assert.equal(code, 78, stderr);
    assert.match(stderr, /1 startup problem/);
    assert.match(
      stderr,
      /AIHUB_E_MIGRATIONS_PENDING database\.migrate: \d+ database migrations are pending \(core:0001_create_outbox/,
    );
    assert.match(stderr, new RegExp(`npx aihub migrate up --config ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    assert.doesNotMatch(stderr, /does not exist|no such table/);
    const up = await runCliToEnd(['migrate', 'up', '--config', file]);
    assert.equal(up.code, 0, up.stderr);
  });

  it(
    'a TypeScript plugin entry under plain node (npm start) is refused with where it looked and "build it first"',
    { skip: !existsSync(path.join(repoRoot, 'core/dist/cli.js')) && 'core is not built (npm run build)' },
    async () => {
      const dir = path.join(tmp, 'ts-plugin');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'mine.ts'),
        "import { definePlugin } from '@aihub/core/plugin-api';\nconst name: string = 'mine';\nexport default definePlugin({ apiVersion: 'aihub.plugin/v1', name, version: '0.1.0', core: '^0.1.0' });\n",
      );
      const file = path.join(dir, 'aihub.yaml');
      writeFileSync(file, 'plugins:\n  - name: mine\n    package: ./mine.ts\n');
      // The built CLI under plain node, as `npm start` runs it (no tsx).
      const child = spawn(process.execPath, [path.join(repoRoot, 'core/dist/cli.js'), 'config', 'validate', file], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      child.stdout!.resume();
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 78, stderr);
      assert.match(
        stderr,
        new RegExp(
          `AIHUB_E_PLUGIN_MISSING plugins\\[0\\]\\.name: plugin "mine" failed to load from ${path.join(dir, 'mine.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
        ),
      );
      assert.match(stderr, /TypeScript file, which plain node cannot run.*build the plugin first/);
    },
  );

  it(
    'the built CLI is executable (npx aihub / node_modules/.bin/aihub)',
    { skip: !existsSync(path.join(repoRoot, 'core/dist/cli.js')) && 'core is not built (npm run build)' },
    async () => {
      const bin = path.join(repoRoot, 'core/dist/cli.js');
      assert.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\n/);
      accessSync(bin, constants.X_OK);
      const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'core/package.json'), 'utf8')) as {
        bin: Record<string, string>;
        scripts: Record<string, string>;
      };
      assert.equal(pkg.bin.aihub, './dist/cli.js');
      assert.match(pkg.scripts.build, /chmodSync\('dist\/cli\.js', 0o755\)/, 'the build keeps it executable');
    },
  );
});
