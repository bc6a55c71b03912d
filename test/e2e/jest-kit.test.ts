import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';

/**
 * The testing kit under Jest (issue 19 item 5) with the plugins whose dependencies ship only ES
 * modules (auth: oidc-provider, jose): fixtures/jest-kit runs on Jest with @aihub/core's preset.
 */
it('a Jest suite starts tenancy and auth on startTestGateway and authenticates a key', { timeout: 300_000 }, () => {
  const root = path.resolve(__dirname, '../..');
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/jest/bin/jest.js'),
      '-c',
      path.join(__dirname, 'fixtures/jest-kit/jest.config.js'),
      '--ci',
    ],
    {
      cwd: root,
      env: { ...env, NODE_OPTIONS: '', NODE_ENV: 'test' },
      encoding: 'utf8',
      timeout: 280_000,
    },
  );
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Tests:\s+2 passed, 2 total/);
});
