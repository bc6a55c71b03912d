import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { definePlugin } from '../plugin-api';
import { startOtlpReceiver, startTestGateway, waitFor, type OtlpReceiver, type TestGateway } from '../testing';
import { redactedPath } from './spanPath';

describe('redactedPath', () => {
  it('redacts the values of secret parameters of the matched route and keeps the rest', () => {
    assert.equal(
      redactedPath('/admin/v1/invitations/inv_SECRET', '/admin/v1/invitations/:token'),
      '/admin/v1/invitations/REDACTED',
    );
    assert.equal(
      redactedPath('/oauth/interaction/abc123/login', '/oauth/interaction/:uid/login'),
      '/oauth/interaction/REDACTED/login',
    );
    assert.equal(
      redactedPath('/admin/v1/tenants/ten_1/api-keys/key_2', '/admin/v1/tenants/:tenantId/api-keys/:keyId'),
      '/admin/v1/tenants/ten_1/api-keys/key_2',
    );
    assert.equal(redactedPath('/x/1/y', '/x/:resetToken/y'), '/x/REDACTED/y');
  });

  it('past a wildcard or without a route, keeps plain words and redacts opaque segments', () => {
    assert.equal(redactedPath('/oauth/token', '/oauth/{*rest}'), '/oauth/token');
    assert.equal(
      redactedPath('/oauth/session/end/Zk3f9aQ0xLr8Tq2mVb7cNp4sWd6yHj1u5Eo0iKgA', '/oauth/{*rest}'),
      '/oauth/session/end/REDACTED',
    );
    assert.equal(redactedPath('/v1/chat/completion', undefined), '/v1/chat/completion');
    assert.equal(
      redactedPath('/admin/v1/invitation/ahi_0123456789abcdefghijklmnopqrstuvwxyzABCD', undefined),
      '/admin/v1/invitation/REDACTED',
    );
    assert.equal(redactedPath('/x/a%20b', undefined), '/x/REDACTED');
  });
});

/** A kept trace (sample ratio 1) of routes with a secret path parameter, an id parameter and a 404. */
describe('server span of a kept trace: http.route and a redacted url.path', () => {
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'path-probe',
    version: '0.0.0',
    core: '*',
    routes(router) {
      router.get('/reset/:token', (c) => void (c.body = { ok: true }), {
        auth: 'none',
        summary: 'a credential in the path',
      });
      router.get('/items/:id', (c) => void (c.body = { ok: true }), { auth: 'none', summary: 'an id in the path' });
    },
  });
  let receiver: OtlpReceiver;
  let gw: TestGateway;
  before(async () => {
    receiver = await startOtlpReceiver();
    gw = await startTestGateway({
      plugins: [plugin],
      config: { telemetry: { tracing: { endpoint: `${receiver.url}/v1/traces`, sampleRatio: 1 } } },
    });
  });
  after(async () => {
    await gw?.stop();
    await receiver?.close();
  });

  it('records the template and never the secret', async () => {
    const secret = 'rst_9fQ2kLm4Xz8Pw1Vb6Nc3Hd7Js5Ta0Ry';
    assert.equal((await gw.fetch(`/plugins/path-probe/reset/${secret}`)).status, 200);
    assert.equal((await gw.fetch('/plugins/path-probe/items/it_42')).status, 200);
    assert.equal((await gw.fetch(`/plugins/path-probe/nothing-here/${secret}`)).status, 404);
    const servers = () => receiver.spans.filter((s) => s.kind === 2);
    await waitFor('three server spans', () => servers().length >= 3, 10_000);
    const byRoute = (r: string) => servers().find((s) => s.attributes['http.route'] === r);
    assert.equal(
      byRoute('/plugins/path-probe/reset/:token')?.attributes['url.path'],
      '/plugins/path-probe/reset/REDACTED',
    );
    assert.equal(byRoute('/plugins/path-probe/items/:id')?.attributes['url.path'], '/plugins/path-probe/items/it_42');
    const unmatched = servers().find((s) => s.attributes['http.route'] === undefined);
    assert.equal(unmatched?.attributes['url.path'], '/plugins/path-probe/nothing-here/REDACTED');
    assert.equal(unmatched?.attributes['http.response.status_code'], 404);
    assert.ok(!JSON.stringify(receiver.spans).includes(secret), 'the secret reached no span');
  });
});
