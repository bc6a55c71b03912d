import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createHttpClient } from '@aihub/core/testing';
import { providerSchema } from '../config';
import { createProvider } from './createProvider';

const http = createHttpClient();
after(() => http.close());

/** Modules of the lazily required adapters now loaded in this process. */
const loaded = (dir: 'bedrock' | 'gemini') =>
  Object.keys(require.cache).filter((f) => f.includes(`/providers/${dir}/`) && !f.endsWith('.test.ts'));

// One process per test file (node --test): nothing else has loaded the adapters before this test.
test('an openai provider loads neither the Bedrock nor the Gemini adapter (issue 20: idle heap)', () => {
  const p = createProvider('up', providerSchema.parse({ type: 'openai', apiKey: 'sk-test' }), http);
  assert.equal(p.type, 'openai');
  assert.deepEqual(loaded('bedrock'), []);
  assert.deepEqual(loaded('gemini'), []);
});

test('bedrock, gemini and vertex-ai providers are built when configured', () => {
  const bedrock = createProvider(
    'aws',
    providerSchema.parse({ type: 'bedrock', region: 'us-east-1', apiKey: 'bedrock-api-key' }),
    http,
  );
  assert.equal(bedrock.type, 'bedrock');
  assert.notDeepEqual(loaded('bedrock'), []);
  const gemini = createProvider('g', providerSchema.parse({ type: 'gemini', apiKey: 'g-key' }), http);
  assert.equal(gemini.type, 'gemini');
  const vertex = createProvider(
    'v',
    providerSchema.parse({ type: 'vertex-ai', apiKey: 'v-key', project: 'p', baseUrl: 'https://example.invalid/v1' }),
    http,
  );
  assert.equal(vertex.type, 'vertex-ai');
});
