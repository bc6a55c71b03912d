/**
 * A running `aihub start` re-reads its config file on SIGHUP: the ai catalog applies live, other
 * changes are listed as needing a restart, and an invalid file keeps the running config with the
 * same problem report as a start. A real process, signalled as an operator (or Kubernetes) would.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, waitFor } from './support/observability-process';

const repoRoot = path.resolve(__dirname, '../..');

function configYaml(
  port: number,
  dataDir: string,
  extra: { models?: string; bodyLimit?: string; level?: string } = {},
): string {
  return `server:
  host: 127.0.0.1
  port: ${port}
  bodyLimit: ${extra.bodyLimit ?? '4mb'}
  shutdownDelayMs: 0
dataDir: ${dataDir}
logging:
  level: ${extra.level ?? 'info'}
  format: json
plugins:
  - name: ai
    config:
      requireAuth: false
      providers:
        mock: { type: mock }
      models:
        gpt-4o-mini:
          deployments: [{ provider: mock, model: gpt-4o-mini }]
${extra.models ?? ''}`;
}

describe('SIGHUP re-reads the config file of a running gateway', () => {
  let dir: string;
  let file: string;
  let port: number;
  let child: ChildProcess;
  let log = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aihub-reload-'));
    file = path.join(dir, 'aihub.yaml');
    port = await freePort();
    writeFileSync(file, configYaml(port, dir));
    child = spawn(
      process.execPath,
      [
        '--conditions=aihub-source',
        '--import',
        'tsx',
        path.join(repoRoot, 'core/src/cli.ts'),
        'start',
        '--config',
        file,
      ],
      { cwd: repoRoot, env: { ...process.env, AIHUB_PORT: '', AIHUB_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/v1/models`).catch(() => undefined))?.status === 200,
      60_000,
      `the gateway to listen (log: ${log.slice(-2000)})`,
    );
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const models = async () =>
    ((await (await fetch(`http://127.0.0.1:${port}/v1/models`)).json()) as { data: { id: string }[] }).data.map(
      (m) => m.id,
    );

  it('applies a new model at once and lists what needs a restart', async () => {
    writeFileSync(
      file,
      configYaml(port, dir, {
        bodyLimit: '8mb',
        level: 'debug',
        models: '        from-file:\n          deployments: [{ provider: mock, model: from-file }]\n',
      }),
    );
    const mark = log.length;
    child.kill('SIGHUP');
    await waitFor(async () => (await models()).includes('from-file'), 10_000, 'the new model to be served');
    await waitFor(async () => log.slice(mark).includes('config reloaded'), 10_000, 'the reload to be logged');
    const line = log
      .slice(mark)
      .split('\n')
      .find((l) => l.includes('config reloaded'))!;
    const entry = JSON.parse(line) as { applied: string[]; restart_required: string[] };
    assert.ok(entry.applied.includes('logging.level'));
    assert.ok(entry.applied.includes('plugins[0].config.models.from-file'), line);
    assert.deepEqual(entry.restart_required, ['server.bodyLimit']);
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'from-file', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(chat.status, 200);
  });

  it('keeps the running config when the new file is invalid, and says why as a start would', async () => {
    writeFileSync(
      file,
      configYaml(port, dir, { models: '        broken:\n          deployments: [{ provider: nowhere, model: x }]\n' }),
    );
    let mark = log.length;
    child.kill('SIGHUP');
    await waitFor(async () => log.slice(mark).includes('config reload refused'), 10_000, 'the refusal to be logged');
    assert.match(
      log.slice(mark),
      /AIHUB_E_CONFIG_INVALID plugins\[0\]\.config\.models\.broken\.deployments\[0\]\.provider/,
    );
    assert.deepEqual((await models()).sort(), ['from-file', 'gpt-4o-mini'], 'the running catalog stays');

    writeFileSync(file, 'server: [unclosed\n');
    mark = log.length;
    child.kill('SIGHUP');
    await waitFor(async () => log.slice(mark).includes('config reload refused'), 10_000, 'the refusal to be logged');
    assert.match(log.slice(mark), /AIHUB_E_CONFIG_PARSE/);
    assert.equal(child.exitCode, null, 'the process keeps running');
    assert.ok((await models()).includes('from-file'));
  });
});
