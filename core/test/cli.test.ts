import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runCli, runCliToEnd, waitFor } from './support';

const fixtures = path.join(__dirname, 'fixtures');
const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('aihub CLI', () => {
  it('config validate lists all five problems of a bad config and exits 78', async () => {
    const { code, stderr } = await runCliToEnd(['config', 'validate', path.join(fixtures, 'bad.yaml')]);
    assert.equal(code, 78, stderr);
    assert.match(stderr, /5 configuration problems/);
    assert.match(stderr, /AIHUB_E_PLUGIN_MISSING plugins\[0\]\.name: plugin "does-not-exist" not found/);
    assert.match(
      stderr,
      /AIHUB_E_DEPENDENCY_MISSING plugins\[1\]: plugin "needs-missing" depends on "not-installed-dependency"/,
    );
    assert.match(stderr, /AIHUB_E_DEPENDENCY_CYCLE plugins\[2\]: .*cycle-a → cycle-b → cycle-a/);
    assert.match(stderr, /AIHUB_E_CONFIG_INVALID plugins\[4\]\.config\.cacheMs: /);
    assert.match(stderr, /AIHUB_E_CONFIG_UNKNOWN_KEY plugins\[5\]\.config\.stampHeadr: unknown key "stampHeadr"/);
  });

  it('start rejects the same config with the same problems and exit 78, without listening', async () => {
    const { code, stderr } = await runCliToEnd(['start', '--config', path.join(fixtures, 'bad.yaml')], {
      AIHUB_DATA_DIR: tmp,
    });
    assert.equal(code, 78);
    assert.match(stderr, /5 configuration problems/);
    assert.doesNotMatch(stderr, /listening/);
  });

  it('config validate accepts the embedded default', async () => {
    const { code, stdout, stderr } = await runCliToEnd(['config', 'validate', 'config/aihub.yaml']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^OK: .*aihub\.yaml is valid/);
  });

  it('a missing environment variable is a problem with its path', async () => {
    const { code, stderr } = await runCliToEnd(['config', 'validate', path.join(fixtures, 'slow.yaml')], {
      TEST_PORT: '',
      TEST_DB_URL: '',
    });
    assert.equal(code, 78);
    assert.match(stderr, /AIHUB_E_CONFIG_ENV_MISSING server\.port: environment variable TEST_PORT is not set/);
    assert.match(stderr, /AIHUB_E_CONFIG_ENV_MISSING database\.url: environment variable TEST_DB_URL/);
  });

  it('plugins list shows plugins and the pipeline by phase', async () => {
    const { code, stdout, stderr } = await runCliToEnd(['plugins', 'list', '--config', 'config/aihub.yaml']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Plugins \(start order\):/);
    assert.match(stdout, /health\s+0\.1\.0/);
    assert.match(stdout, /request\.tenant\s+tenancy:resolve-tenant/);
    assert.match(stdout, /response\.transform\s+cache:capture/);
    // The demo plugin is listed but off by default (issue 14 item 16).
    assert.doesNotMatch(stdout, /example:/);
    const json = await runCliToEnd(['plugins', 'list', '--json', '--config', 'config/aihub.yaml']);
    const parsed = JSON.parse(json.stdout) as { plugins: { name: string }[]; pipeline: { phase: string }[] };
    assert.ok(parsed.plugins.some((p) => p.name === 'ai'));
    assert.ok(!parsed.plugins.some((p) => p.name === 'example'));
    assert.equal(parsed.pipeline.length, 11);
  });

  it('migrate status/up/down work on the configured database', async () => {
    const env = { AIHUB_DATA_DIR: path.join(tmp, 'migrate') };
    const before = await runCliToEnd(['migrate', 'status', '--config', 'config/aihub.yaml'], env);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /pending\s+core:/);
    const up = await runCliToEnd(['migrate', 'up', '--config', 'config/aihub.yaml'], env);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /applied:/);
    const again = await runCliToEnd(['migrate', 'up', '--config', 'config/aihub.yaml'], env);
    assert.match(again.stdout, /nothing to apply/);
    const down = await runCliToEnd(['migrate', 'down', '--config', 'config/aihub.yaml'], env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /reverted:/);
  });

  it('SIGTERM during a slow request lets it finish, then exits 0', async () => {
    const port = await freePort();
    const child = runCli(['start', '--config', path.join(fixtures, 'slow.yaml')], {
      TEST_PORT: String(port),
      TEST_DB_URL: `sqlite:${path.join(tmp, 'slow.sqlite')}`,
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok, 30_000, 'gateway to listen');
    const started = Date.now();
    const slow = fetch(`http://127.0.0.1:${port}/plugins/slow/wait`);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const res = await slow;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { waited: 1500 });
    assert.ok(Date.now() - started >= 1400);
    assert.equal(await exited, 0, stderr);
    // After shutdown nothing listens any more.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`));
  });
});
