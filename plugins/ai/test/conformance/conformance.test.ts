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
    const stack = await startStack({ ai: { requireAuth: false, retry: { maxAttempts: 1 }, providers: { br: { type: 'bedrock', baseUrl: up.url, ...AWS } }, models: { br: { deployments: [{ provider: 'br', model: 'm' }] } } } });
    try {
      const res = await stack.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'br', messages: hi }) });
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
  it('a vertex-ai provider without a service account starts, and its calls fail as an authentication error', async () => {
    const up = await startConformanceUpstream();
    const stack = await startStack({ ai: { requireAuth: false, retry: { maxAttempts: 1 }, providers: { vx: { type: 'vertex-ai', baseUrl: `${up.url}/v1`, project: 'p' } }, models: { vx: { deployments: [{ provider: 'vx', model: 'gemini-2.5-flash' }] } } } });
    try {
      const res = await stack.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'vx', messages: hi }) });
      assert.equal(res.status, 502);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'upstream_auth_failed');
      assert.equal(up.requests.length, 0, 'nothing was sent without a token');
    } finally {
      await stack.stop();
      await up.close();
    }
  });
});
