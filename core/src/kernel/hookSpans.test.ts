import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { context as otelContext, trace } from '@opentelemetry/api';
import { currentRequest, definePlugin, errors } from '../plugin-api';
import { startOtlpReceiver, startTestGateway, waitFor, type OtlpReceiver, type TestGateway } from '../testing';

/**
 * For the enclosing suite: a gateway with one plugin, exporting its traces at `sampleRatio` to a
 * receiver of the test; started before the suite's tests, stopped after them.
 */
function tracedGateway(
  plugin: ReturnType<typeof definePlugin>,
  sampleRatio: number,
): { receiver: OtlpReceiver; gw: TestGateway } {
  const t = {} as { receiver: OtlpReceiver; gw: TestGateway };
  before(async () => {
    t.receiver = await startOtlpReceiver();
    t.gw = await startTestGateway({
      plugins: [plugin],
      config: { telemetry: { tracing: { endpoint: `${t.receiver.url}/v1/traces`, sampleRatio } } },
    });
  });
  after(async () => {
    await t.gw?.stop();
    await t.receiver?.close();
  });
  return t;
}

/**
 * Kept traces: a span per plugin hook, child of the request span; what a hook does inside its span
 * nests under it; a failing hook's span carries the error; sync and async hooks alike.
 */
describe('hook spans of a kept trace', () => {
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'span-probe',
    version: '0.0.0',
    core: '*',
    hooks: (ctx) => [
      {
        name: 'sync-first',
        phase: 'request.authenticate',
        appliesTo: (route) => route.path.startsWith('/plugins/span-probe/'),
        // Sync: returns next()'s promise without an async frame of its own.
        handle: (c, next) => {
          if (c.path.endsWith('/refused')) throw errors.forbidden('span-probe refuses this', 'span_probe_refused');
          return next();
        },
      },
      {
        name: 'async-second',
        phase: 'request.transform',
        appliesTo: (route) => route.path.startsWith('/plugins/span-probe/'),
        async handle(_c, next) {
          const inner = ctx.tracer.startSpan('inside the hook');
          await new Promise((r) => setTimeout(r, 1));
          inner.end();
          await next();
        },
      },
    ],
    routes(router) {
      const ok = (c: { body: unknown }) => {
        c.body = { ok: true };
      };
      router.get('/ok', ok, { auth: 'none', summary: 'probe' });
      router.get('/refused', ok, { auth: 'none', summary: 'probe whose first hook refuses' });
    },
  });

  const t = tracedGateway(plugin, 1);

  it('nests hook spans under the request span and the hook’s own spans under its span; a failing hook’s span carries the error', async () => {
    const res = await t.gw.fetch('/plugins/span-probe/ok');
    assert.equal(res.status, 200);
    const traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceparent') ?? '')?.[1];
    assert.ok(traceId, 'a kept trace is announced in traceparent');
    const refused = await t.gw.fetch('/plugins/span-probe/refused');
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'span_probe_refused');
    await t.gw.kernel.stop('test'); // flushes the exporter
    const spans = t.receiver.spans;
    await waitFor(
      'spans exported',
      () =>
        spans.some((s) => s.traceId === traceId && s.name === 'inside the hook') &&
        spans.some((s) => s.attributes['aihub.error.code'] !== undefined),
      5000,
    );

    const ofTrace = spans.filter((s) => s.traceId === traceId);
    const server = ofTrace.find((s) => s.kind === 2)!;
    const first = ofTrace.find((s) => s.name === 'span-probe request.authenticate')!;
    const second = ofTrace.find((s) => s.name === 'span-probe request.transform')!;
    const inner = ofTrace.find((s) => s.name === 'inside the hook')!;
    assert.ok(server && first && second && inner, ofTrace.map((s) => s.name).join(', '));
    assert.equal(first.parentSpanId, server.spanId);
    assert.equal(second.parentSpanId, server.spanId);
    assert.equal(inner.parentSpanId, second.spanId);
    assert.equal(first.attributes['aihub.hook'], 'span-probe:sync-first');

    const failed = spans.find((s) => s.name === 'span-probe request.authenticate' && s.traceId !== traceId)!;
    assert.equal(failed.attributes['aihub.error.code'], 'span_probe_refused');
  });
});

/**
 * Dropped traces: the kernel defers the ids and the OpenTelemetry context of a request whose trace
 * is not kept until something reads them. Whoever reads first, everyone must see the same trace.
 */
describe('a request whose trace is dropped', () => {
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'drop-probe',
    version: '0.0.0',
    core: '*',
    routes(router, ctx) {
      router.get(
        '/ids',
        (c) => {
          const fromLog = currentRequest();
          const active = trace.getSpan(otelContext.active())?.spanContext();
          const child = ctx.tracer.startSpan('child of a dropped trace');
          child.end();
          c.body = {
            log: { traceId: fromLog?.traceId, spanId: fromLog?.spanId },
            active: {
              traceId: active?.traceId,
              spanId: active?.spanId,
              sampled: active ? (active.traceFlags & 1) === 1 : undefined,
            },
            child: {
              traceId: child.spanContext().traceId,
              spanId: child.spanContext().spanId,
              recording: child.isRecording(),
            },
          };
        },
        { auth: 'none', summary: 'ids as seen inside a request' },
      );
    },
  });

  const t = tracedGateway(plugin, 0);

  it('has one trace id for logs, the active context and child spans, none of it exported', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await t.gw.fetch('/plugins/drop-probe/ids');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('traceparent'), null, 'a dropped trace is not announced');
      const b = (await res.json()) as {
        log: { traceId: string; spanId: string };
        active: { traceId: string; spanId: string; sampled: boolean };
        child: { traceId: string; spanId: string; recording: boolean };
      };
      assert.match(b.log.traceId, /^[0-9a-f]{32}$/);
      assert.match(b.log.spanId, /^[0-9a-f]{16}$/);
      assert.deepEqual(b.active, { traceId: b.log.traceId, spanId: b.log.spanId, sampled: false });
      assert.equal(b.child.traceId, b.log.traceId);
      assert.notEqual(b.child.spanId, b.log.spanId);
      assert.equal(b.child.recording, false);
      seen.add(b.log.traceId);
    }
    assert.equal(seen.size, 3, 'every request has its own trace');
    await t.gw.kernel.stop('test');
    assert.equal(t.receiver.spans.length, 0);
  });
});

/**
 * Issue 14 item 4: response-phase hooks (response.transform, response.meter, response.log) get
 * spans in a kept trace too, under the request span; a failing one's span carries the error.
 */
describe('response-phase hook spans of a kept trace', () => {
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'resp-probe',
    version: '0.0.0',
    core: '*',
    hooks: () => [
      {
        name: 'stamp',
        phase: 'response.transform',
        appliesTo: (route) => route.path.startsWith('/plugins/resp-probe/'),
        handle: (c) => {
          c.set('x-resp-probe', '1');
        },
      },
      {
        name: 'meter',
        phase: 'response.meter',
        appliesTo: (route) => route.path.startsWith('/plugins/resp-probe/'),
        handle: async () => {
          await new Promise((r) => setTimeout(r, 1));
        },
      },
      {
        name: 'log',
        phase: 'response.log',
        appliesTo: (route) => route.path.startsWith('/plugins/resp-probe/'),
        handle: () => {
          throw new Error('resp-probe log failed');
        },
      },
    ],
    routes(router) {
      router.get(
        '/ok',
        (c) => {
          c.body = { ok: true };
        },
        { auth: 'none', summary: 'probe' },
      );
    },
  });

  const t = tracedGateway(plugin, 1);

  it('gives response.transform, response.meter and response.log hooks spans under the request span', async () => {
    const res = await t.gw.fetch('/plugins/resp-probe/ok');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-resp-probe'), '1');
    const traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceparent') ?? '')?.[1];
    assert.ok(traceId);
    const names = ['resp-probe response.transform', 'resp-probe response.meter', 'resp-probe response.log'];
    // The meter and log hooks run after the response went out: give them a moment before the flush.
    await new Promise((r) => setTimeout(r, 50));
    await t.gw.kernel.stop('test');
    const spans = t.receiver.spans;
    await waitFor(
      'spans exported',
      () => names.every((n) => spans.some((s) => s.traceId === traceId && s.name === n)),
      5000,
    );
    const server = spans.find((s) => s.traceId === traceId && s.kind === 2)!;
    for (const n of names)
      assert.equal(spans.find((s) => s.traceId === traceId && s.name === n)!.parentSpanId, server.spanId, n);
    const log = spans.find((s) => s.traceId === traceId && s.name === 'resp-probe response.log')!;
    assert.equal(log.attributes['aihub.hook'], 'resp-probe:log');
    assert.ok(log.attributes['aihub.error.code'] !== undefined, 'the failing hook’s span carries the error');
  });
});
