/**
 * The loader records which environment variables produced which config values (names only), so a
 * plugin can say "set MY_OPENAI_KEY" when the operator's file read the key from MY_OPENAI_KEY.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from './loadConfig';

const tmp = mkdtempSync(path.join(tmpdir(), 'aihub-origins-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A file as an operator writes it: a nested plugin key, a list element, unset, empty and defaulted variables. */
const FILE = `
server:
  host: \${BIND_HOST:-127.0.0.1}
  port: 8080
plugins:
  - name: ai
    config:
      providers:
        openai: { apiKey: "\${MY_OPENAI_KEY:-}" }
        claude: { apiKey: "\${MY_CLAUDE_KEY:-}" }
        local: { baseUrl: "http://\${OLLAMA_HOST:-localhost}:\${OLLAMA_PORT:-11434}/v1" }
      hosts:
        - plain.example
        - \${SECOND_HOST}
      note: "costs $\${5} a month"
`;

async function load(env: NodeJS.ProcessEnv, extra: { port?: number } = {}) {
  const file = path.join(tmp, `aihub-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, FILE);
  const { loaded, problems } = await loadConfig({ file, env, ...extra });
  assert.deepEqual(problems, []);
  return loaded!;
}

describe('config origins', () => {
  it('names the variable behind a nested plugin value, and says it was unset', async () => {
    const loaded = await load({ SECOND_HOST: 'b.example', MY_CLAUDE_KEY: '' });
    const ai = loaded.origins.under(['plugins', 0, 'config']);
    assert.deepEqual(ai('providers.openai.apiKey'), { vars: ['MY_OPENAI_KEY'], empty: ['MY_OPENAI_KEY'] });
    // Set to the empty string counts as empty too: the default stood in.
    assert.deepEqual(ai(['providers', 'claude', 'apiKey']), { vars: ['MY_CLAUDE_KEY'], empty: ['MY_CLAUDE_KEY'] });
    // The same value by its full path.
    assert.deepEqual(loaded.origins.get('plugins[0].config.providers.openai.apiKey')?.vars, ['MY_OPENAI_KEY']);
  });

  it('records a set variable as not empty, and never its value', async () => {
    const loaded = await load({ SECOND_HOST: 'b.example', MY_OPENAI_KEY: 'sk-secret-value' });
    const origin = loaded.origins.get('plugins[0].config.providers.openai.apiKey');
    assert.deepEqual(origin, { vars: ['MY_OPENAI_KEY'], empty: [] });
    assert.doesNotMatch(JSON.stringify([...loaded.origins.entries()]), /sk-secret-value|b\.example/);
  });

  it('records a list element by its index, and leaves literal values out', async () => {
    const loaded = await load({ SECOND_HOST: 'b.example' });
    const ai = loaded.origins.under(['plugins', 0, 'config']);
    assert.deepEqual(ai('hosts[1]'), { vars: ['SECOND_HOST'], empty: [] });
    assert.deepEqual(ai(['hosts', 1]), { vars: ['SECOND_HOST'], empty: [] });
    assert.equal(ai('hosts[0]'), undefined);
    assert.equal(ai('hosts'), undefined);
    // `$${` is an escaped literal, not a reference.
    assert.equal(ai('note'), undefined);
    assert.equal(loaded.origins.get('server.port'), undefined);
  });

  it('lists every variable of a composed value, and which of them fell back to their default', async () => {
    const loaded = await load({ SECOND_HOST: 'b.example', OLLAMA_PORT: '11500' });
    const config = loaded.config.plugins[0].config as { providers: { local: { baseUrl: string } } };
    assert.equal(config.providers.local.baseUrl, 'http://localhost:11500/v1');
    assert.deepEqual(loaded.origins.get('plugins[0].config.providers.local.baseUrl'), {
      vars: ['OLLAMA_HOST', 'OLLAMA_PORT'],
      empty: ['OLLAMA_HOST'],
    });
    // A default that was used: the value is the default's, the origin still names the variable.
    assert.equal(loaded.config.server.host, '127.0.0.1');
    assert.deepEqual(loaded.origins.get('server.host'), { vars: ['BIND_HOST'], empty: ['BIND_HOST'] });
  });

  it('an environment override becomes the origin; --port leaves none', async () => {
    const loaded = await load({ SECOND_HOST: 'b.example', AIHUB_HOST: '0.0.0.0', AIHUB__SERVER__BODY_LIMIT: '2mb' });
    assert.deepEqual(loaded.origins.get('server.host'), { vars: ['AIHUB_HOST'], empty: [] });
    assert.deepEqual(loaded.origins.get('server.bodyLimit'), { vars: ['AIHUB__SERVER__BODY_LIMIT'], empty: [] });
    const ported = await load({ SECOND_HOST: 'b.example', AIHUB_PORT: '9000' }, { port: 9100 });
    assert.equal(ported.config.server.port, 9100);
    assert.equal(ported.origins.get('server.port'), undefined);
  });

  it('an unset variable without a default is still the problem it was (a start refuses it), naming it', async () => {
    const file = path.join(tmp, 'unset.yaml');
    writeFileSync(file, FILE);
    const { loaded, problems } = await loadConfig({ file, env: {} });
    assert.deepEqual(
      problems.map((p) => [p.code, p.path]),
      [['AIHUB_E_CONFIG_ENV_MISSING', 'plugins[0].config.hosts[1]']],
    );
    assert.match(problems[0].message, /SECOND_HOST is not set/);
    assert.deepEqual(loaded?.origins.get('plugins[0].config.hosts[1]'), {
      vars: ['SECOND_HOST'],
      empty: ['SECOND_HOST'],
    });
  });
});
