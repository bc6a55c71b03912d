/**
 * The conformance suite on the embedded default (SQLite), plus what needs its own gateway: Bedrock
 * signatures refused upstream, and providers without credentials.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStack } from '../harness';
import { AWS, conformanceSuite, hi } from './conformance.suite';
import { startConformanceUpstream } from './upstream';

conformanceSuite('embedded');

describe('provider conformance: bedrock signing', () => {
  it('every Bedrock call carried a valid SigV4 signature (the suite above would have seen 403s)', async () => {
    // Checked here by the upstream: a request signed with another secret is refused.
    const up = await startConformanceUpstream(undefined, { ...AWS, secretAccessKey: 'another-secret' });
    const stack = await startStack({
      ai: {
        requireAuth: false,
        retry: { maxAttempts: 1 },
        providers: { br: { type: 'bedrock', baseUrl: up.url, ...AWS } },
        models: { br: { deployments: [{ provider: 'br', model: 'm' }] } },
      },
    });
    try {
      const res = await stack.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'br', messages: hi }),
      });
      assert.equal(res.status, 502);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'upstream_auth_failed');
      assert.equal(up.badSignatures, 1);
    } finally {
      await stack.stop();
      await up.close();
    }
  });
});

describe('provider conformance: missing credentials', () => {
  it('a vertex-ai provider without a service account starts, and its calls answer 503 provider_not_configured', async () => {
    const up = await startConformanceUpstream();
    const stack = await startStack({
      ai: {
        requireAuth: false,
        retry: { maxAttempts: 1 },
        providers: { vx: { type: 'vertex-ai', baseUrl: `${up.url}/v1`, project: 'p' } },
        models: { vx: { deployments: [{ provider: 'vx', model: 'gemini-2.5-flash' }] } },
      },
    });
    try {
      const res = await stack.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'vx', messages: hi }),
      });
      assert.equal(res.status, 503);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'provider_not_configured');
      assert.match(error.message, /provider "vx" has no API key configured/);
      assert.equal(up.requests.length, 0, 'nothing was sent without a token');
    } finally {
      await stack.stop();
      await up.close();
    }
  });
});

describe('the models catalog shows every rate of a price and where it came from', () => {
  it('built-in tiers (Gemini 2.5 Pro over 200k) and configured cache-write rates', async () => {
    const stack = await startStack({
      ai: {
        requireAuth: false,
        providers: { gem: { type: 'gemini', apiKey: 'k' }, claude: { type: 'anthropic', apiKey: 'k' } },
        models: {
          pro: { deployments: [{ provider: 'gem', model: 'gemini-2.5-pro' }] },
          claude: {
            deployments: [
              {
                provider: 'claude',
                model: 'claude-x',
                priceOverride: { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
              },
            ],
          },
        },
      },
    });
    try {
      const res = await stack.fetch('/admin/v1/tenants/t1/models', {
        headers: { 'x-test-tenant': 't1', 'x-test-user': 'u1', 'x-test-role': 'admin' },
      });
      assert.equal(res.status, 200);
      type Price = {
        input: number;
        cached_input: number;
        cache_write: number;
        cache_write_1h: number;
        tiers: { above: number; input: number; output: number }[];
        source: string;
      };
      const body = (await res.json()) as { aliases: { alias: string; deployments: { price: Price | null }[] }[] };
      const price = (alias: string) => body.aliases.find((a) => a.alias === alias)!.deployments[0].price!;
      assert.equal(price('pro').source, 'genai-prices');
      assert.deepEqual([price('pro').input, price('pro').cached_input], [1.25, 0.125]);
      assert.deepEqual(
        price('pro').tiers.map((t) => [t.above, t.input, t.output]),
        [[200_000, 2.5, 15]],
      );
      assert.deepEqual(price('claude'), {
        input: 3,
        output: 15,
        cached_input: 0.3,
        cache_write: 3.75,
        cache_write_1h: 3.75,
        tiers: [],
        source: 'deployment',
      });
    } finally {
      await stack.stop();
    }
  });
});
