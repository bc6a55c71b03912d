import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { GatewayError } from './GatewayError';
import { renderError } from './render';

// Issue 16 review: admin problem details carry `param` (an RFC 9457 extension member) so the console
// can put a field error on its form field by name; `/v1/*` keeps the OpenAI body unchanged.
describe('renderError', () => {
  let server: ReturnType<Koa['listen']>;
  let base = '';
  const errors: Record<string, GatewayError> = {
    taken: new GatewayError('That slug is taken; choose another.', { code: 'slug_taken', status: 409, param: 'slug' }),
    plain: new GatewayError('You may not do that.', { code: 'permission_denied', status: 403 }),
  };

  before(async () => {
    const app = new Koa();
    app.use((ctx) => renderError(ctx, errors[ctx.query.e as string], 'req-render-1'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('admin routes: problem+json with `param` when the error names a field', async () => {
    const res = await fetch(`${base}/admin/v1/tenants?e=taken`);
    assert.equal(res.status, 409);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.param, 'slug');
    assert.equal(body.code, 'slug_taken');
    assert.equal(body.status, 409);
    assert.equal(body.detail, 'That slug is taken; choose another.');
    assert.equal(body.request_id, 'req-render-1');
  });

  it('admin routes: no `param` member when the error names no field', async () => {
    const body = (await (await fetch(`${base}/admin/v1/tenants?e=plain`)).json()) as Record<string, unknown>;
    assert.equal('param' in body, false);
    assert.equal(body.code, 'permission_denied');
  });

  it('/v1 routes: the OpenAI error body, unchanged (param null when there is none)', async () => {
    const taken = (await (await fetch(`${base}/v1/models?e=taken`)).json()) as Record<string, unknown>;
    assert.deepEqual(taken, {
      error: {
        message: 'That slug is taken; choose another.',
        type: 'invalid_request_error',
        param: 'slug',
        code: 'slug_taken',
      },
    });
    const plain = (await (await fetch(`${base}/v1/models?e=plain`)).json()) as Record<string, unknown>;
    assert.deepEqual(plain, {
      error: { message: 'You may not do that.', type: 'permission_error', param: null, code: 'permission_denied' },
    });
  });

  it('the Anthropic Messages routes: Anthropic’s error shape, its type from the status', async () => {
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      const res = await fetch(`${base}${path}?e=plain`);
      assert.equal(res.status, 403);
      const body = (await res.json()) as {
        type: string;
        error: { type: string; message: string; code: string };
        request_id: string;
      };
      assert.deepEqual(body, {
        type: 'error',
        error: { type: 'permission_error', message: 'You may not do that.', code: 'permission_denied' },
        request_id: 'req-render-1',
      });
    }
    const other = (await (await fetch(`${base}/v1/messagesx?e=plain`)).json()) as {
      type?: string;
      error: { code: string; param: null };
    };
    assert.equal(other.type, undefined, 'a neighbouring path keeps the OpenAI shape');
    assert.equal(other.error.code, 'permission_denied');
    assert.equal(other.error.param, null);
  });
});
