/**
 * `aihub config validate` prints plugins' config warnings (a provider without its key, named by the
 * variable the file reads it from) and still exits 0: the config starts and serves everything else.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCliToEnd } from './support';

const keyless = path.join(__dirname, 'fixtures', 'keyless.yaml');

describe('aihub config validate warnings', () => {
  it('prints each keyless provider with its path and variable on stderr, and exits 0', async () => {
    const { code, stdout, stderr } = await runCliToEnd(['config', 'validate', keyless], {
      SOME_CUSTOM_VAR: '',
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^OK: .*keyless\.yaml is valid \(1 plugins: ai\), with 2 warnings\n$/);
    assert.match(stderr, /^2 warnings \(the config is valid/);
    assert.match(
      stderr,
      /\n {2}plugins\[0\]\.config\.providers\.team-openai: no API key configured for provider "team-openai" \(openai\).*; set SOME_CUSTOM_VAR \(which providers\.team-openai\.apiKey reads; it is unset or empty\)\n/,
    );
    assert.match(
      stderr,
      /\n {2}plugins\[0\]\.config\.providers\.claude: .*set ANTHROPIC_API_KEY \(or providers\.claude\.apiKey\)\n/,
    );
    assert.doesNotMatch(stderr, /OPENAI_API_KEY|providers\.local/);
  });

  it('a key in the environment leaves only the other warning; never a value', async () => {
    const { code, stdout, stderr } = await runCliToEnd(['config', 'validate', keyless], {
      SOME_CUSTOM_VAR: 'sk-test-not-printed',
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /with 1 warning\n$/);
    assert.match(stderr, /^1 warning /);
    assert.doesNotMatch(stderr, /team-openai|sk-test-not-printed/);
    assert.doesNotMatch(stdout, /sk-test-not-printed/);
  });

  it('problems still fail with 78, before any warning', async () => {
    const { code, stdout, stderr } = await runCliToEnd([
      'config',
      'validate',
      path.join(__dirname, 'fixtures', 'bad.yaml'),
    ]);
    assert.equal(code, 78);
    assert.equal(stdout, '');
    assert.doesNotMatch(stderr, /warning/);
  });
});
