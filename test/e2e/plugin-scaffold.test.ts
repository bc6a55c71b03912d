import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

/**
 * `aihub plugin new` end to end (issue 19 item 5), the way a plugin author outside this repository
 * meets it: core is compiled to a package of its own in a temp `node_modules` (its dependencies are
 * this repository's, linked), the CLI from that build scaffolds a plugin into a temp directory, the
 * plugin is built with tsc and its generated test runs under the chosen runner (node:test, Jest),
 * then `aihub start` (plain node, the built core) loads it by path, and as an installed package
 * (`npm pack` + extract: what `npm install` does, without the network) by its package name.
 */
const root = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-scaffold-'));
const modules = path.join(tmp, 'node_modules');
const coreDir = path.join(modules, '@aihub', 'core');
const cli = path.join(coreDir, 'dist', 'cli.js');
// NODE_TEST_CONTEXT would make the scaffold's own `node --test` report to this runner instead of printing.
const { NODE_TEST_CONTEXT: _ctx, ...parentEnv } = process.env;
const env = {
  ...parentEnv,
  NODE_OPTIONS: '',
  NODE_ENV: 'test',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runSync(cmd: string, args: string[], cwd: string): Ran {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
}

/** Runs a command without blocking the event loop, so the two scaffold flows below overlap. */
function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const output = (r: Ran) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

/** An installed @aihub/core: its own build in tmp/node_modules, every other package linked from this repo. */
function installCore(): void {
  mkdirSync(path.join(modules, '.bin'), { recursive: true });
  for (const name of readdirSync(path.join(root, 'node_modules'))) {
    if (name === '@aihub' || name === '.bin' || name.startsWith('.')) continue;
    symlinkSync(path.join(root, 'node_modules', name), path.join(modules, name));
  }
  for (const bin of ['tsc', 'tsx', 'jest'])
    symlinkSync(path.join(root, 'node_modules', '.bin', bin), path.join(modules, '.bin', bin));
  // --noCheck: emit JavaScript and declarations without type-checking core again (npm run typecheck
  // does that); it halves the build, and this whole file must finish within the runner's timeout.
  const tsc = runSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      path.join(root, 'core/tsconfig.build.json'),
      '--outDir',
      path.join(coreDir, 'dist'),
      '--sourceMap',
      'false',
      '--noCheck',
    ],
    root,
  );
  assert.equal(tsc.status, 0, `core does not build:\n${output(tsc)}`);
  // What npm would install: package.json and the "files" besides dist (the Jest preset).
  const pkg = JSON.parse(readFileSync(path.join(root, 'core/package.json'), 'utf8')) as { files: string[] };
  for (const f of ['package.json', ...pkg.files.filter((x) => x !== 'dist')])
    copyFileSync(path.join(root, 'core', f), path.join(coreDir, f));
  chmodSync(cli, 0o755);
  symlinkSync(cli, path.join(modules, '.bin', 'aihub'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `aihub start` with a config loading one plugin entry; answers one GET, then SIGTERM (exit 0). */
async function startAndGet(
  entry: Record<string, unknown>,
  route: string,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const gwDir = path.join(tmp, `gw-${String(entry.name)}`);
  mkdirSync(gwDir, { recursive: true });
  const port = await freePort();
  const config = path.join(gwDir, 'aihub.yaml');
  writeFileSync(
    config,
    JSON.stringify(
      {
        server: { host: '127.0.0.1', port, shutdownDelayMs: 0 },
        database: { url: 'sqlite::memory:' },
        logging: { level: 'warn' },
        plugins: [entry],
      },
      null,
      2,
    ),
  );
  const child = spawn(process.execPath, [cli, 'start', '--config', config], {
    cwd: gwDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}${route}`).catch(() => undefined);
      if (res) return { status: res.status, body: await res.json(), headers: res.headers };
      if (child.exitCode !== null || Date.now() > deadline)
        assert.fail(`the gateway did not answer on ${route}:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `the gateway did not stop cleanly:\n${log}`);
  }
}

// The flows run concurrently (own directories each): on a loaded machine two processes get more of it.
describe('aihub plugin new', { timeout: 900_000, concurrency: true }, () => {
  before(installCore, { timeout: 600_000 });

  it(
    'scaffolds a node:test plugin that builds, passes its test, keeps its README table, and loads by path',
    { timeout: 600_000 },
    async () => {
      const made = await run(
        process.execPath,
        [cli, 'plugin', 'new', 'aihub-plugin-hello-stamp', '--dir', 'hello-stamp'],
        tmp,
      );
      assert.equal(made.status, 0, output(made));
      assert.match(made.stdout, /Created aihub-plugin-hello-stamp \(plugin "hello-stamp", tests on node:test\)/);
      const dir = path.join(tmp, 'hello-stamp');
      for (const f of [
        'package.json',
        'tsconfig.json',
        'README.md',
        'src/index.ts',
        'src/config.ts',
        'src/hooks.ts',
        'src/routes.ts',
        'src/errors.ts',
        'src/hello-stamp.test.ts',
      ])
        assert.ok(existsSync(path.join(dir, f)), `${f} is scaffolded`);
      assert.match(
        readFileSync(path.join(dir, 'README.md'), 'utf8'),
        /\| `greeting` \| string \| `"Hello from AI Hub"` \|/,
      );

      const build = await run('npm', ['run', 'build'], dir);
      assert.equal(build.status, 0, output(build));
      assert.ok(
        existsSync(path.join(dir, 'dist/index.js')) && !existsSync(path.join(dir, 'dist/hello-stamp.test.js')),
        'dist has the plugin, not its tests',
      );
      const test = await run('npm', ['test'], dir);
      assert.equal(test.status, 0, output(test));
      assert.match(test.stdout, /(#|ℹ) pass 4\n(#|ℹ) fail 0/);

      // The README's table was generated from the same schema the built plugin has.
      const readme = await run(process.execPath, [cli, 'plugin', 'readme', '.', '--check'], dir);
      assert.equal(readme.status, 0, output(readme));
      assert.match(readme.stdout, /config table up to date/);

      const res = await startAndGet(
        { name: 'hello-stamp', package: '../hello-stamp', config: { greeting: 'from a path' } },
        '/plugins/hello-stamp/hello',
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { greeting: 'from a path' });
      assert.equal(res.headers.get('x-hello-stamp'), '0.1.0');
    },
  );

  it(
    'scaffolds a Jest plugin that passes its test and, installed as a package, loads by its name',
    { timeout: 600_000 },
    async () => {
      const made = await run(
        process.execPath,
        [cli, 'plugin', 'new', '@acme/aihub-plugin-jest-stamp', '--test-runner', 'jest', '--dir', 'jest-stamp'],
        tmp,
      );
      assert.equal(made.status, 0, output(made));
      const dir = path.join(tmp, 'jest-stamp');
      assert.ok(existsSync(path.join(dir, 'jest.config.js')));
      const build = await run('npm', ['run', 'build'], dir);
      assert.equal(build.status, 0, output(build));
      const test = await run('npm', ['test'], dir);
      assert.equal(test.status, 0, output(test));
      assert.match(test.stderr, /Tests:\s+4 passed, 4 total/);

      const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp, '--json'], dir);
      assert.equal(pack.status, 0, output(pack));
      const tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
      const installed = path.join(modules, '@acme', 'aihub-plugin-jest-stamp');
      mkdirSync(installed, { recursive: true });
      const tar = await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], tmp);
      assert.equal(tar.status, 0, output(tar));
      assert.deepEqual(
        readdirSync(installed).sort(),
        ['README.md', 'dist', 'package.json'],
        'the package ships dist, not src or tests',
      );
      // Out of the way: the gateway must find the installed copy, not the source directory.
      renameSync(dir, `${dir}-moved`);

      const res = await startAndGet(
        { name: 'jest-stamp', package: '@acme/aihub-plugin-jest-stamp' },
        '/plugins/jest-stamp/hello',
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { greeting: 'Hello from AI Hub' });
      assert.equal(res.headers.get('x-jest-stamp'), '0.1.0');
    },
  );

  it('refuses a bad name (64) and a non-empty directory (73) without writing anything', async () => {
    const bad = await run(process.execPath, [cli, 'plugin', 'new', 'My_Plugin'], tmp);
    assert.equal(bad.status, 64);
    assert.match(bad.stderr, /"My_Plugin" is not a valid npm package name: a package name is lowercase/);
    assert.ok(!existsSync(path.join(tmp, 'My_Plugin')));
    const occupied = path.join(tmp, 'occupied');
    mkdirSync(occupied);
    writeFileSync(path.join(occupied, 'notes.txt'), 'mine');
    const taken = await run(process.execPath, [cli, 'plugin', 'new', 'aihub-plugin-x', '--dir', occupied], tmp);
    assert.equal(taken.status, 73);
    assert.match(taken.stderr, /exists and is not empty; nothing was written/);
    assert.deepEqual(readdirSync(occupied), ['notes.txt']);
  });
});
