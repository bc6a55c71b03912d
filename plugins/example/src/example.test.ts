import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import example from './index';

describe('example plugin', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      plugins: [example],
      pluginConfig: { example: { stampValue: 'hi', limits: [{ pathPrefix: '/plugins/example', maxBytes: 10 }] } },
    });
  });
  after(() => gw.stop());

  it('stamps the configured header and reports its config on /plugins/example/info', async () => {
    const res = await gw.fetch('/plugins/example/info');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-aihub-example'), 'hi');
    const body = (await res.json()) as { header: string; limits: unknown[]; stats: { stamped: number } };
    assert.equal(body.header, 'x-aihub-example');
    assert.equal(body.limits.length, 1);
  });

  it('accepts a body within the route limit and rejects a larger one with 413 before the handler', async () => {
    const small = await gw.fetch('/plugins/example/echo', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(small.status, 200);
    assert.deepEqual(await small.json(), { bytes: 7, body: { a: 1 } });
    const big = await gw.fetch('/plugins/example/echo', {
      method: 'POST',
      body: JSON.stringify({ a: 'x'.repeat(50) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(big.status, 413);
    const err = (await big.json()) as { error: { code: string; message: string } };
    assert.equal(err.error.code, 'request_too_large');
    assert.match(err.error.message, /at most 10 bytes/);
  });

  it('contributes a health check that counts what it did', async () => {
    const checks = await gw.kernel.health.run();
    const mine = checks.checks.find((c) => c.plugin === 'example');
    assert.ok(mine?.ok);
    assert.ok(Number(mine?.details?.stamped) >= 1);
    // The same counts, from the plugin's runtime (what its start returned).
    assert.equal(gw.runtime(example).stamped, mine?.details?.stamped);
  });

  it('rejects an unknown config key at start', async () => {
    await assert.rejects(
      startTestGateway({ plugins: [example], pluginConfig: { example: { stampHeadr: 'x' } } }),
      /AIHUB_E_CONFIG_UNKNOWN_KEY plugins\[0\]\.config\.stampHeadr/,
    );
  });
});
