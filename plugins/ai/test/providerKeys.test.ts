/**
 * Issue 14 item 16: the production config with empty provider keys. The gateway still becomes ready
 * (a missing key is the same on every instance: failing readiness would empty the load balancer), but
 * it says so: one start-up warning per provider naming the variable to set, and a readiness detail.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Kernel, createLogger, loadConfig } from '@aihub/core/testing';
import ai from '../src/index';
import { missingApiKeys, modelsWithoutKey } from '../src/providerKeys';
import { aiConfig } from '../src/config';

const PRODUCTION = path.resolve(__dirname, '../../../config/aihub.production.yaml');

/** The ai plugin's config as config/aihub.production.yaml gives it with these variables set. */
async function productionAi(env: Record<string, string>): Promise<unknown> {
  const { loaded, problems } = await loadConfig({
    file: PRODUCTION,
    env: {
      AIHUB_AUTH_KEY_SECRET: 'x'.repeat(40),
      DATABASE_URL: 'postgres://unused@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...env,
    },
  });
  assert.deepEqual(problems, []);
  return loaded!.config.plugins.find((p: { name: string }) => p.name === 'ai')!.config;
}

describe('providers without an API key', () => {
  it('lists keyed provider types without a key; a custom OpenAI-compatible base URL, ollama, mock and a credential header need none', () => {
    const cfg = aiConfig.parse({
      providers: {
        openai: {},
        anthropic: { apiKey: '  ' },
        azure: { type: 'azure-openai', baseUrl: 'https://r.openai.azure.com', headers: { 'api-key': 'k' } },
        vllm: { type: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' },
        ollama: {},
        mock: {},
        gemini: {},
        groq: { type: 'openai-compatible', preset: 'groq' },
        lmstudio: { type: 'openai-compatible', preset: 'lmstudio' },
        'groq-proxy': { type: 'openai-compatible', preset: 'groq', baseUrl: 'http://127.0.0.1:9000/v1' },
        vertex: { type: 'vertex-ai', project: 'p' },
        aws: { type: 'bedrock', region: 'us-east-1', accessKeyId: 'AKIA', secretAccessKey: 's' },
      },
      models: {
        a: { deployments: [{ provider: 'openai', model: 'gpt-4o' }] },
        b: { deployments: [{ provider: 'anthropic', model: 'c' }], fallbacks: ['c'] },
        c: { deployments: [{ provider: 'vllm', model: 'm' }] },
        d: { deployments: [{ provider: 'openai', model: 'x' }], fallbacks: ['a'] },
      },
    });
    const missing = missingApiKeys(cfg);
    assert.deepEqual(
      missing.map((m) => m.provider),
      ['openai', 'anthropic', 'gemini', 'groq', 'vertex'],
    );
    assert.match(missing[2].message, /set GEMINI_API_KEY/);
    assert.match(missing[3].message, /\(openai-compatible\).*set GROQ_API_KEY \(or providers\.groq\.apiKey\)/);
    assert.match(missing[4].message, /set GOOGLE_SERVICE_ACCOUNT_JSON \(or providers\.vertex\.serviceAccount\)/);
    assert.match(missing[0].message, /no API key configured for provider "openai" \(openai\).*set OPENAI_API_KEY/);
    assert.match(missing[1].message, /set ANTHROPIC_API_KEY/);
    assert.deepEqual(modelsWithoutKey(cfg, missing), ['a', 'd'], 'b is served by its fallback c');
  });

  describe('config/aihub.production.yaml with OPENAI_API_KEY and ANTHROPIC_API_KEY empty', () => {
    let kernel: Kernel;
    const lines: Record<string, unknown>[] = [];
    before(async () => {
      const stream = new PassThrough();
      stream.on('data', (d: Buffer) => {
        for (const l of d.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      });
      kernel = await Kernel.start({
        inline: {
          server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2000 },
          database: { url: 'sqlite::memory:' },
          telemetry: { metrics: { processMetrics: false } },
          plugins: [{ name: 'ai', config: await productionAi({}) }],
        },
        definitions: [ai],
        env: {},
        logger: createLogger({ level: 'info', format: 'json', stream }),
      });
    });
    after(async () => {
      await kernel?.stop('test');
    });

    it('warns at start naming each provider and the variable to set', () => {
      const warnings = lines.filter((l) => l.level === 'warn').map((l) => String(l.message));
      assert.ok(
        warnings.some((w) => /provider "openai" \(openai\).*set OPENAI_API_KEY/.test(w)),
        warnings.join('\n'),
      );
      assert.ok(
        warnings.some((w) => /provider "anthropic" \(anthropic\).*set ANTHROPIC_API_KEY/.test(w)),
        warnings.join('\n'),
      );
      assert.ok(
        warnings.some((w) =>
          /cannot be served until a key is set: gpt-4o-mini, gpt-4o, claude-3-5-haiku, text-embedding-3-small/.test(w),
        ),
        warnings.join('\n'),
      );
    });

    it('stays ready, with the missing keys and the models they stop in the readiness details', async () => {
      const ready = await kernel.health.run('readiness');
      assert.equal(ready.ok, true);
      const details = ready.checks.find((c) => c.plugin === 'ai' && c.name === 'providers')!.details as {
        missingApiKeys: string[];
        modelsWithoutKey: string[];
      };
      assert.equal(details.missingApiKeys.length, 2);
      assert.match(details.missingApiKeys[0], /OPENAI_API_KEY/);
      assert.deepEqual(details.modelsWithoutKey, [
        'gpt-4o-mini',
        'gpt-4o',
        'claude-3-5-haiku',
        'text-embedding-3-small',
      ]);
    });
  });

  it('with the keys set, no warning and no detail', async () => {
    const cfg = aiConfig.parse(await productionAi({ OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' }));
    assert.deepEqual(missingApiKeys(cfg), []);
  });
});
