/**
 * Issue 14 item 2 through the CLI: a config file with a core problem, an ai schema problem and bad
 * provider/alias references is reported whole by one `aihub config validate` (and one `aihub start`),
 * each problem with its path, and a near name suggested for a misspelt reference.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const repoRoot = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'aihub-ai-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the aihub CLI from source to its end. */
function cli(args: string[]): Promise<{ exit: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=aihub-source', '--import', 'tsx', path.join(repoRoot, 'core/src/cli.ts'), ...args],
    { cwd: repoRoot, env: { ...process.env, AIHUB_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (exit) => resolve({ exit, stdout, stderr })));
}

const BAD = [
  'server:',
  '  port: 99999',
  'database: { url: "sqlite::memory:" }',
  'plugins:',
  '  - name: ai',
  '    config:',
  '      retry: { maxAttempts: 0 }',
  '      providers:',
  '        openai: { apiKey: sk-test }',
  '        anthropic: { apiKey: sk-ant-test }',
  '      models:',
  '        fast: { deployments: [{ provider: opneai, model: gpt-4o-mini }], fallbacks: [slwo] }',
  '        slow: { deployments: [{ provider: anthropic, model: claude-3-5-haiku-latest }, { model: no-provider }] }',
  '      experiments:',
  '        - { name: e, alias: ab, variants: [{ name: a, model: fsat }, { name: b, model: slow }] }',
  '',
].join('\n');

/** The problem lines (`CODE path: message`) the CLI printed. */
const problemLines = (stderr: string) => stderr.split('\n').filter((l) => /^\s*AIHUB_E_/.test(l));

describe('one report for core, ai schema and ai reference problems', () => {
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, BAD);

  const expectations: [string, RegExp][] = [
    ['server.port', /server\.port: /],
    ['ai schema problem', /plugins\[0\]\.config\.retry\.maxAttempts: /],
    ['entry of its own invalid', /plugins\[0\]\.config\.models\.slow\.deployments\[1\]\.provider: /],
    [
      'unknown provider',
      /plugins\[0\]\.config\.models\.fast\.deployments\[0\]\.provider: unknown provider "opneai"; define it under providers \(have: openai, anthropic\); did you mean "openai"\? \(see the "ai" plugin's README\)/,
    ],
    [
      'unknown fallback',
      /plugins\[0\]\.config\.models\.fast\.fallbacks\[0\]: "slwo" is not another alias under models; did you mean "slow"\?/,
    ],
    [
      'unknown variant alias',
      /plugins\[0\]\.config\.experiments\[0\]\.variants\[0\]\.model: "fsat" is not an alias under models; did you mean "fast"\?/,
    ],
  ];

  for (const command of [
    ['config', 'validate', file],
    ['start', '--config', file],
  ]) {
    it(`aihub ${command.slice(0, 2).join(' ')} lists every problem at once and exits 78`, async () => {
      const { exit, stderr } = await cli(command);
      assert.equal(exit, 78, stderr);
      const lines = problemLines(stderr);
      for (const [what, re] of expectations)
        assert.ok(
          lines.some((l) => re.test(l)),
          `${what} (${re}) in:\n${stderr}`,
        );
      // Nothing reported twice, nothing spurious: the valid references (slow, anthropic) are not problems.
      assert.equal(lines.length, expectations.length, stderr);
      assert.match(stderr, new RegExp(`${expectations.length} configuration problems`));
      assert.doesNotMatch(stderr, /listening/);
    });
  }
});
