/**
 * Issue 14 leftover: an operator's file may read a provider key from its own variable
 * (`apiKey: ${MY_OPENAI_KEY:-}`). The start warning, the readiness detail and the 503 then name that
 * variable (from `ctx.configOrigin`), not the usual OPENAI_API_KEY, and never a value.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@aihub/core/testing';
import { aiConfig } from '../src/config';
import { missingApiKeys } from '../src/providerKeys';
import { auditSink, CATALOG_KEY, superadminIdentity } from './catalogAdmin';
import { postJson, startStack, type Stack } from './harness';

/** The ai config and its origin lookup as the loader gives them for this env. */
async function load(providers: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const { loaded, problems } = await loadConfig({
    inline: { database: { url: 'sqlite::memory:' }, plugins: [{ name: 'ai', config: { providers, models: {} } }] },
    env,
  });
  assert.deepEqual(problems, []);
  const config = aiConfig.parse(loaded!.config.plugins[0].config);
  return { config, origin: loaded!.origins.under(['plugins', 0, 'config']) };
}

const fixOf = (list: ReturnType<typeof missingApiKeys>, provider: string) =>
  list.find((m) => m.provider === provider)?.fix;

describe('a missing key named by the variable the file reads it from', () => {
  it('names the custom variable when it is unset or empty, the usual one for a literal empty key', async () => {
    const { config, origin } = await load(
      {
        mine: { type: 'openai', apiKey: '${MY_OPENAI_KEY:-}' },
        emptied: { type: 'anthropic', apiKey: '${TEAM_CLAUDE_KEY:-}' },
        literal: { type: 'anthropic', apiKey: '' },
        keyed: { type: 'openai', apiKey: '${MY_OTHER_KEY}' },
      },
      { TEAM_CLAUDE_KEY: '', MY_OTHER_KEY: 'sk-live-secret' },
    );
    const missing = missingApiKeys(config, origin);
    assert.deepEqual(missing.map((m) => m.provider).sort(), ['emptied', 'literal', 'mine']);
    assert.match(
      fixOf(missing, 'mine')!,
      /must set MY_OPENAI_KEY \(which providers\.mine\.apiKey reads; it is unset or empty\)$/,
    );
    assert.doesNotMatch(fixOf(missing, 'mine')!, /OPENAI_API_KEY/);
    assert.match(fixOf(missing, 'emptied')!, /set TEAM_CLAUDE_KEY \(which providers\.emptied\.apiKey reads/);
    assert.match(fixOf(missing, 'literal')!, /set ANTHROPIC_API_KEY \(or providers\.literal\.apiKey\)$/);
    // Without the lookup (a caller that has none), the usual variable as before.
    assert.match(fixOf(missingApiKeys(config), 'mine')!, /set OPENAI_API_KEY \(or providers\.mine\.apiKey\)$/);
    assert.doesNotMatch(JSON.stringify(missing), /sk-live-secret/);
  });

  it('a variable set to blanks is named as blank; bedrock names both of its variables', async () => {
    const { config, origin } = await load(
      {
        blank: { type: 'openai', apiKey: '${SPACE_KEY}' },
        aws: {
          type: 'bedrock',
          region: 'us-east-1',
          accessKeyId: '${OUR_AWS_ID:-}',
          secretAccessKey: '${OUR_AWS_SECRET:-}',
        },
      },
      { SPACE_KEY: '   ' },
    );
    const missing = missingApiKeys(config, origin);
    assert.match(fixOf(missing, 'blank')!, /set SPACE_KEY \(which providers\.blank\.apiKey reads; it is blank\)$/);
    assert.match(
      fixOf(missing, 'aws')!,
      /set OUR_AWS_ID and OUR_AWS_SECRET \(which providers\.aws\.accessKeyId \/ secretAccessKey reads; they are unset or empty\)$/,
    );
  });
});

describe('on a started gateway: apiKey: ${SOME_CUSTOM_VAR:-} with SOME_CUSTOM_VAR unset', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({
      plugins: [superadminIdentity, auditSink().def],
      ai: {
        catalog: { encryptionKey: CATALOG_KEY },
        requireAuth: false,
        retry: { maxAttempts: 1 },
        providers: { custom: { type: 'openai', apiKey: '${SOME_CUSTOM_VAR:-}' } },
        models: { only: { deployments: [{ provider: 'custom', model: 'gpt-4o' }] } },
      },
    });
  });
  after(() => stack?.stop());

  it('the start warning names SOME_CUSTOM_VAR', () => {
    const warning = stack.logs
      .map((l) => JSON.parse(l) as { level: string; message: string; provider?: string })
      .find((l) => l.level === 'warn' && l.provider === 'custom');
    assert.ok(warning, stack.logs.join('\n'));
    assert.match(
      warning.message,
      /set SOME_CUSTOM_VAR \(which providers\.custom\.apiKey reads; it is unset or empty\)$/,
    );
    assert.doesNotMatch(warning.message, /OPENAI_API_KEY/);
  });

  const chatOnly = () =>
    postJson(stack, '/v1/chat/completions', { model: 'only', messages: [{ role: 'user', content: 'Hi' }] });

  it('the 503 provider_not_configured names the provider but not the variable, and nothing is sent upstream', async () => {
    const received = stack.mock.stats.received;
    const res = await chatOnly();
    assert.equal(res.status, 503);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'provider_not_configured');
    assert.match(
      error.message,
      /^Model "only" cannot be served: provider "custom" has no API key configured on this gateway; its operator must set one/,
    );
    assert.doesNotMatch(error.message, /SOME_CUSTOM_VAR/);
    assert.equal(stack.mock.stats.received, received);
  });

  it('the readiness detail names SOME_CUSTOM_VAR', async () => {
    const ready = await stack.kernel.health.run('readiness');
    assert.equal(ready.ok, true);
    const details = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!.details as {
      unconfiguredProviders: string[];
      missingApiKeys: string[];
    };
    assert.deepEqual(details.unconfiguredProviders, ['custom']);
    assert.equal(details.missingApiKeys.length, 1);
    assert.match(details.missingApiKeys[0], /set SOME_CUSTOM_VAR \(which providers\.custom\.apiKey reads/);
  });

  it('once the admin API replaces the provider (still keyless), the file variable no longer applies: the usual one is named', async () => {
    const put = await fetch(`${stack.url}/admin/v1/ai/catalog/providers/custom`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-test-superadmin': '1' },
      body: JSON.stringify({ type: 'openai', timeouts: { totalMs: 30000 } }),
    });
    assert.equal(put.status, 200, await put.clone().text());
    const res = await chatOnly();
    assert.equal(res.status, 503);
    const { error } = (await res.json()) as { error: { code: string } };
    assert.equal(error.code, 'provider_not_configured');
    const ready = await stack.kernel.health.run('readiness');
    const details = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!.details as {
      missingApiKeys: string[];
    };
    assert.match(details.missingApiKeys[0], /set OPENAI_API_KEY \(or providers\.custom\.apiKey\)$/);
  });
});
