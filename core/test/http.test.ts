import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { definePlugin, defineStateKey, GatewayError } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import health from '@aihub/plugin-health';
import example from '@aihub/plugin-example';

const seen = defineStateKey<string[]>('test.seen');

/** Hooks in several phases that record their order, a throwing route and a bodied route. */
const probe = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'probe',
  version: '1.0.0',
  core: '^0.1.0',
  routePrefix: '',
  hooks: [
    {
      phase: 'request.authenticate',
      name: 'auth',
      handle: async (c, next) => {
        seen.set(c, ['auth']);
        await next();
      },
    },
    {
      phase: 'request.limit',
      name: 'limit',
      handle: async (c, next) => {
        seen.get(c)?.push('limit');
        await next();
      },
    },
    {
      phase: 'request.correlate',
      name: 'correlate',
      handle: async (c, next) => {
        c.set('x-probe-correlate', '1');
        await next();
      },
    },
    // Returns what next() returned (no promise of its own): downstream failures are not its own.
    { phase: 'request.tenant', name: 'pass-through', handle: (_c, next) => next() },
    {
      phase: 'request.transform',
      name: 'late',
      appliesTo: (r) => r.path === '/probe/late-throws',
      // Fails after next() settled, on a promise of its own: this failure is the hook's.
      handle: (_c, next) =>
        next().then(() => {
          throw new Error('hook failed after next');
        }),
    },
    {
      phase: 'request.transform',
      name: 'boom',
      appliesTo: (r) => r.path === '/probe/hook-throws',
      handle: () => {
        throw new Error('hook exploded with secret details');
      },
    },
    {
      phase: 'response.transform',
      name: 'order',
      handle: (c) => c.set('x-probe-order', (seen.get(c) ?? []).join(',')),
    },
  ],
  routes(router) {
    router.post(
      '/probe/echo',
      (c) => {
        c.body = { got: c.request.body };
      },
      { auth: 'none' },
    );
    router.get(
      '/probe/hook-throws',
      (c) => {
        c.body = 'unreachable';
      },
      { auth: 'none' },
    );
    router.get(
      '/probe/late-throws',
      (c) => {
        c.body = 'ok';
      },
      { auth: 'none' },
    );
    router.get(
      '/probe/handler-throws',
      () => {
        throw new TypeError('handler bug');
      },
      { auth: 'none' },
    );
    router.get(
      '/probe/typed',
      (c) => {
        c.type = String(c.query.t);
        c.body = Buffer.from('x');
      },
      { auth: 'none' },
    );
    router.get(
      '/probe/teapot',
      () => {
        throw new GatewayError('No coffee here: ask for tea.', { code: 'teapot', status: 418 });
      },
      { auth: 'none' },
    );
    router.get(
      '/admin/v1/probe',
      () => {
        throw new GatewayError('Problem here.', { code: 'admin_problem', status: 409 });
      },
      { auth: 'none' },
    );
  },
});

describe('kernel HTTP behaviour (embedded default)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      plugins: [health, example, probe],
      pluginConfig: { example: { limits: [{ pathPrefix: '/probe/echo', maxBytes: 2048 }] } },
      config: { server: { bodyLimit: 4096 } },
    });
  });
  after(() => gw.stop());

  it('resolves response types as Koa does, the first time and from memory after', async () => {
    const cases: [string, string][] = [
      ['json', 'application/json; charset=utf-8'],
      ['application/json', 'application/json; charset=utf-8'],
      ['text/event-stream; charset=utf-8', 'text/event-stream; charset=utf-8'],
      ['png', 'image/png'],
      // Not a type mime-types knows: Koa drops it, and the Buffer body then makes it binary.
      ['no-such-type', 'application/octet-stream'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [t, expected] of cases) {
        const res = await gw.fetch(`/probe/typed?t=${encodeURIComponent(t)}`);
        assert.equal(res.headers.get('content-type'), expected, `${t} (round ${round})`);
        await res.arrayBuffer();
      }
    }
  });

  it('answers /health/live and /health/ready', async () => {
    const live = await gw.fetch('/health/live');
    assert.equal(live.status, 200);
    const ready = await gw.fetch('/health/ready');
    assert.equal(ready.status, 200);
    // Anonymous probes learn ready or not, nothing else (details: plugins/health/src/routes.test.ts).
    assert.deepEqual(await ready.json(), { status: 'ok' });
  });

  it('sets x-request-id (generated, or the caller’s when valid) and x-aihub-overhead-ms', async () => {
    const generated = await gw.fetch('/health/live');
    assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    assert.match(generated.headers.get('x-aihub-overhead-ms')!, /^\d+\.\d{3}$/);
    const kept = await gw.fetch('/health/live', { headers: { 'x-request-id': 'abc-123.x:y' } });
    assert.equal(kept.headers.get('x-request-id'), 'abc-123.x:y');
    const invalid = await gw.fetch('/health/live', { headers: { 'x-request-id': 'bad id<script>' } });
    assert.notEqual(invalid.headers.get('x-request-id'), 'bad id<script>');
    const long = await gw.fetch('/health/live', { headers: { 'x-request-id': 'a'.repeat(500) } });
    assert.notEqual(long.headers.get('x-request-id'), 'a'.repeat(500));
  });

  it('runs hooks in phase order and response transforms after the handler', async () => {
    const res = await gw.fetch('/probe/echo', {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { got: { a: 1 } });
    assert.equal(res.headers.get('x-probe-order'), 'auth,limit');
    assert.equal(res.headers.get('x-probe-correlate'), '1');
    assert.equal(res.headers.get('x-aihub-example'), 'hello');
  });

  it('unknown routes get a JSON 404', async () => {
    const res = await gw.fetch('/nope');
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    assert.equal(body.error.code, 'route_not_found');
    assert.equal(body.error.type, 'not_found_error');
  });

  it('wrong method gets 405 in JSON', async () => {
    const res = await gw.fetch('/health/live', { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.ok(((await res.json()) as { error: unknown }).error);
  });

  it('malformed JSON gets 400 invalid_json', async () => {
    const res = await gw.fetch('/probe/echo', {
      method: 'POST',
      body: '{"a": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; type: string } };
    assert.equal(body.error.code, 'invalid_json');
    assert.equal(body.error.type, 'invalid_request_error');
  });

  it('bodies over the limit get 413, by Content-Length and by chunked stream', async () => {
    const big = 'x'.repeat(10_000);
    const res = await gw.fetch('/probe/echo', {
      method: 'POST',
      body: JSON.stringify({ big }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'request_too_large');
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(1000)));
        controller.close();
      },
    });
    const chunked = await gw.fetch('/probe/echo', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });

  it('a per-route plugin limit (example plugin) applies before the global one', async () => {
    const res = await gw.fetch('/probe/echo', {
      method: 'POST',
      body: JSON.stringify({ s: 'z'.repeat(3000) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /at most 2048 bytes/);
  });

  it('a throwing hook gives 500 with the request id, hides internals, and the process keeps serving', async () => {
    const res = await gw.fetch('/probe/hook-throws', { headers: { 'x-request-id': 'req-boom-1' } });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'internal_error');
    assert.match(body.error.message, /req-boom-1/);
    assert.doesNotMatch(body.error.message, /secret details/);
    const again = await gw.fetch('/health/live');
    assert.equal(again.status, 200);
    const handler = await gw.fetch('/probe/handler-throws');
    assert.equal(handler.status, 500);
    const late = await gw.fetch('/probe/late-throws');
    assert.equal(late.status, 500);
    const metrics = await (await gw.fetch('/metrics')).text();
    // The throwing hook and the late one; the handler's bug passed through the async and
    // pass-through hooks around it, and none of them is blamed for it.
    const blamed = [...metrics.matchAll(/^aihub_plugin_hook_errors_total\{([^}]*)\} (\d+)/gm)]
      .filter((m) => m[2] !== '0')
      .map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(blamed, ['plugin="probe",phase="request.transform" 2']);
  });

  it('typed errors keep their status and code; admin routes answer problem+json', async () => {
    const tea = await gw.fetch('/probe/teapot');
    assert.equal(tea.status, 418);
    assert.equal(((await tea.json()) as { error: { code: string } }).error.code, 'teapot');
    const admin = await gw.fetch('/admin/v1/probe');
    assert.equal(admin.status, 409);
    assert.match(admin.headers.get('content-type')!, /application\/problem\+json/);
    const problem = (await admin.json()) as { status: number; code: string; detail: string; request_id: string };
    assert.equal(problem.status, 409);
    assert.equal(problem.code, 'admin_problem');
    assert.ok(problem.request_id);
  });

  it('serves Prometheus text and OpenMetrics on /metrics', async () => {
    await gw.fetch('/health/live');
    const text = await gw.fetch('/metrics');
    assert.match(text.headers.get('content-type')!, /text\/plain; version=0\.0\.4/);
    const body = await text.text();
    assert.match(body, /# TYPE aihub_http_requests_total counter/);
    assert.match(body, /aihub_http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
    assert.match(
      body,
      /aihub_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health\/live",status="200"\} \d+/,
    );
    assert.doesNotMatch(body, /# EOF/);
    const om = await gw.fetch('/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    assert.match(om.headers.get('content-type')!, /application\/openmetrics-text/);
    assert.match(await om.text(), /# EOF\n$/);
  });

  it('unmatched paths are one metric series, not one per URL', async () => {
    for (let i = 0; i < 5; i++) await gw.fetch(`/random-${i}`);
    const body = await (await gw.fetch('/metrics')).text();
    assert.match(body, /route="unmatched",status="404"\} [5-9]/);
    assert.doesNotMatch(body, /random-3/);
  });
});
