import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { prepare } from '../kernel/prepare';
import { closest } from './didYouMean';
import { loadConfig } from './loadConfig';
import { StartupError, type Problem } from './problems';

// Issue 14 item 2: one report for the whole file, one clear problem for a YAML syntax error,
// "did you mean" for typos, and hints that point to the right documentation.
const dir = mkdtempSync(path.join(tmpdir(), 'aihub-report-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
async function problemsOf(file: string): Promise<Problem[]> {
  try {
    await prepare({ file, env: {} });
  } catch (err) {
    if (err instanceof StartupError) return err.problems;
    throw err;
  }
  return [];
}

describe('config problem report', () => {
  it('reports core problems and plugin problems of one file together', async () => {
    const file = write(
      'both.yaml',
      'server:\n  port: -1\n  bodyLimt: 1mb\nplugins:\n  - name: helth\n  - name: example\n    config: { stampHeadr: x }\n',
    );
    const problems = await problemsOf(file);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    assert.equal(byPath['server.port']?.code, 'AIHUB_E_CONFIG_INVALID', JSON.stringify(problems));
    assert.equal(byPath['server.bodyLimt']?.code, 'AIHUB_E_CONFIG_UNKNOWN_KEY');
    assert.equal(byPath['plugins[0].name']?.code, 'AIHUB_E_PLUGIN_MISSING');
    assert.equal(byPath['plugins[1].config.stampHeadr']?.code, 'AIHUB_E_CONFIG_UNKNOWN_KEY');
    assert.equal(problems.length, 4);
  });

  it('reports a core problem, a plugin schema problem and bad ai provider references in one round', async () => {
    const file = write(
      'refs.yaml',
      [
        'server:',
        '  port: 99999',
        'plugins:',
        '  - name: ai',
        '    config:',
        '      bodyLimit: lots',
        '      providers:',
        '        openai: { apiKey: sk-test }',
        '      models:',
        '        fast: { deployments: [{ provider: opneai, model: gpt-4o-mini }], fallbacks: [slow] }',
        '',
      ].join('\n'),
    );
    const problems = await problemsOf(file);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    assert.equal(byPath['server.port']?.code, 'AIHUB_E_CONFIG_INVALID', JSON.stringify(problems));
    assert.ok(byPath['plugins[0].config.bodyLimit'], `the schema problem: ${JSON.stringify(problems)}`);
    assert.match(
      byPath['plugins[0].config.models.fast.deployments[0].provider']?.message ?? '',
      /unknown provider "opneai"; define it under providers \(have: openai\)/,
      JSON.stringify(problems),
    );
    assert.match(
      byPath['plugins[0].config.models.fast.fallbacks[0]']?.message ?? '',
      /"slow" is not another alias under models/,
    );
    assert.equal(problems.length, 4, JSON.stringify(problems));
  });

  it('suggests the closest key or plugin name, and points core keys to the README and schema', async () => {
    const problems = await problemsOf(
      write(
        'typos.yaml',
        'servr: {}\nserver: { bodyLimt: 1mb }\nplugins:\n  - name: helth\n  - name: example\n    config: { stampHeadr: x }\n',
      ),
    );
    const msg = (p: string) => problems.find((x) => x.path === p)?.message ?? '';
    assert.match(msg('servr'), /did you mean "server"\?/);
    assert.match(
      msg('server.bodyLimt'),
      /did you mean "bodyLimit"\?.*Configuration section of README\.md and config\/aihub\.schema\.json/,
    );
    assert.doesNotMatch(msg('server.bodyLimt'), /plugin's README/);
    assert.match(msg('plugins[0].name'), /did you mean "health"\?/);
    assert.match(msg('plugins[1].config.stampHeadr'), /did you mean "stampHeader"\?.*"example" plugin's README/);
    assert.equal(closest('zzzzzz', ['server', 'plugins']), undefined, 'no suggestion when nothing is close');
  });

  it('a YAML syntax error is one problem with its line and column', async () => {
    const file = write('syntax.yaml', 'server:\n  port: 1\n   host: x\nplugins: [\n  - a\n  b: {\n');
    const { problems } = await loadConfig({ file, env: {} });
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].code, 'AIHUB_E_CONFIG_PARSE');
    assert.match(problems[0].message, new RegExp(`${path.basename(file)}:2:9: YAML syntax error: `));
  });

  it('reads ${VAR} inside a flow mapping as the reference it is, and interpolates it', async () => {
    const file = write(
      'flow.yaml',
      'server: { port: ${TPORT:-9123}, host: ${THOST} }\nplugins:\n  - { name: health, config: { details: { access: ${ACCESS:-admin} } } }\n',
    );
    const { loaded, problems } = await loadConfig({ file, env: { THOST: '127.0.0.2' } });
    assert.deepEqual(problems, []);
    assert.equal(loaded!.config.server.port, 9123);
    assert.equal(loaded!.config.server.host, '127.0.0.2');
    assert.deepEqual(loaded!.config.plugins[0].config, { details: { access: 'admin' } });
  });
});
