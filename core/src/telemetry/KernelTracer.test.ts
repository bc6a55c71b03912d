import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpTraces } from '../testing/otlp';
import { ChildSpan, HEAD_SAMPLED, KernelTracer } from './KernelTracer';

/** A provider as createTracing builds it, exporting to memory; the KernelTracer wraps its tracer. */
function setup() {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const resource = resourceFromAttributes({ 'service.name': 'kernel-tracer-test' });
  const provider = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processor],
  });
  const sdk = provider.getTracer('@aihub/test', '1.0.0') as ConstructorParameters<typeof KernelTracer>[0];
  return { exporter, sdk, tracer: new KernelTracer(sdk, { resource, processor }) };
}

const byName = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name)!;

describe('KernelTracer (child spans of kept traces without the SDK path)', () => {
  it('records a child of a kept local span as the SDK would: ids, parent, kind, attributes, status, events, times', async () => {
    const { exporter, sdk, tracer } = setup();
    const root = sdk.startSpan('GET /v1/models', { kind: SpanKind.SERVER });
    const parentCtx = trace.setSpan(ROOT_CONTEXT, root);
    const child = tracer.startSpan(
      'auth request.authenticate',
      { attributes: { 'aihub.plugin': 'auth', 'aihub.bad': { nested: true } as never } },
      parentCtx,
    );
    assert.ok(child instanceof ChildSpan, 'a sampled local parent takes the fast path');
    assert.ok(child.isRecording());
    child.setAttribute('gen_ai.usage.input_tokens', 12);
    child.setAttribute('gen_ai.response.finish_reasons', ['stop']);
    child.setAttribute('aihub.mixed', ['a', 1] as never);
    child.recordException(Object.assign(new Error('upstream said no'), { code: 'upstream_error' }));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream_error' });
    child.setStatus({ code: SpanStatusCode.UNSET });
    child.updateName('auth request.authenticate (renamed)');
    await new Promise((r) => setTimeout(r, 5));
    child.end();
    child.setAttribute('after.end', true);
    root.end();

    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 2);
    const c = byName(spans, 'auth request.authenticate (renamed)');
    const r = byName(spans, 'GET /v1/models');
    assert.equal(c.spanContext().traceId, r.spanContext().traceId);
    assert.notEqual(c.spanContext().spanId, r.spanContext().spanId);
    assert.match(c.spanContext().spanId, /^[0-9a-f]{16}$/);
    assert.equal(c.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(c.parentSpanContext?.spanId, r.spanContext().spanId);
    assert.equal(c.kind, SpanKind.INTERNAL);
    assert.deepEqual(
      c.attributes,
      { 'aihub.plugin': 'auth', 'gen_ai.usage.input_tokens': 12, 'gen_ai.response.finish_reasons': ['stop'] },
      'invalid values and writes after end are dropped',
    );
    assert.deepEqual(
      c.status,
      { code: SpanStatusCode.ERROR, message: 'upstream_error' },
      'UNSET never overrides a status',
    );
    assert.equal(c.events.length, 1);
    assert.equal(c.events[0].name, 'exception');
    assert.equal(c.events[0].attributes?.['exception.type'], 'upstream_error');
    assert.match(String(c.events[0].attributes?.['exception.stacktrace']), /upstream said no/);
    assert.equal(c.resource, r.resource, 'same resource object: exported in the same ResourceSpans');
    assert.deepEqual(c.instrumentationScope, r.instrumentationScope);
    assert.equal(c.ended, true);
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    assert.ok(ms(c.duration) >= 4 && ms(c.duration) < 1000, `duration ${ms(c.duration)} ms`);
    assert.ok(Math.abs(ms(c.endTime) - ms(c.startTime) - ms(c.duration)) < 0.01, 'end = start + duration');
    assert.ok(
      ms(c.startTime) >= ms(r.startTime) - 1 && ms(c.endTime) <= ms(r.endTime) + 1,
      'inside its parent (ms-anchored like SDK spans)',
    );
  });

  it('exports through the OTLP protobuf serializer next to SDK spans', () => {
    const { exporter, sdk, tracer } = setup();
    const root = sdk.startSpan('POST /v1/chat/completions', { kind: SpanKind.SERVER });
    const provider = tracer.startSpan(
      'chat gpt-4o-mini',
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'aihub.attempt': 1 } },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    provider.end();
    root.end();
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!);
    const decoded = decodeOtlpTraces(body, 'application/x-protobuf');
    const c = decoded.find((s) => s.name === 'chat gpt-4o-mini')!;
    assert.equal(c.parentSpanId, root.spanContext().spanId);
    assert.equal(c.traceId, root.spanContext().traceId);
    assert.equal(c.kind, 3);
    assert.equal(c.serviceName, 'kernel-tracer-test');
    assert.deepEqual(c.attributes, { 'gen_ai.request.model': 'gpt-4o-mini', 'aihub.attempt': 1 });
  });

  it('starts a root the kernel already kept: new trace, no parent, sampled, its children under it', () => {
    const { exporter, tracer } = setup();
    const root = tracer.startSpan('GET', {
      kind: SpanKind.SERVER,
      attributes: { 'url.path': '/v1/models', [HEAD_SAMPLED]: true },
    });
    assert.ok(root instanceof ChildSpan, 'no sampler is asked for a root the kernel kept');
    const child = tracer.startSpan('hook', {}, trace.setSpan(ROOT_CONTEXT, root));
    child.end();
    root.end();
    const [c, r] = exporter.getFinishedSpans();
    assert.match(r.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.equal(r.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(r.parentSpanContext, undefined);
    assert.equal(r.kind, SpanKind.SERVER);
    assert.deepEqual(r.attributes, { 'url.path': '/v1/models', 'aihub.sampling.head': true });
    assert.equal(c.parentSpanContext?.spanId, r.spanContext().spanId);
    assert.equal(c.spanContext().traceId, r.spanContext().traceId);
    const decoded = decodeOtlpTraces(
      Buffer.from(ProtobufTraceSerializer.serializeRequest([c, r])!),
      'application/x-protobuf',
    );
    assert.equal(decoded.find((s) => s.kind === 2)?.parentSpanId, '');
  });

  it('leaves roots, remote parents, links, explicit start times and suppressed tracing to the SDK', () => {
    const { sdk, tracer } = setup();
    assert.ok(!(tracer.startSpan('root') instanceof ChildSpan), 'no parent: a root, sampled by the SDK');
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const fromRemote = tracer.startSpan('server', {}, remote);
    assert.ok(!(fromRemote instanceof ChildSpan));
    assert.equal(fromRemote.spanContext().traceId, 'a'.repeat(32));
    const local = trace.setSpan(ROOT_CONTEXT, sdk.startSpan('parent'));
    assert.ok(!(tracer.startSpan('x', { links: [{ context: fromRemote.spanContext() }] }, local) instanceof ChildSpan));
    assert.ok(!(tracer.startSpan('x', { startTime: Date.now() }, local) instanceof ChildSpan));
    assert.ok(!(tracer.startSpan('x', { root: true }, local) instanceof ChildSpan));
    assert.equal(tracer.startSpan('x', {}, suppressTracing(local)).isRecording(), false);
  });

  it('gives a child of an unsampled trace a fresh span id in the same trace, not recorded', () => {
    const { exporter, tracer } = setup();
    const dropped = trace.wrapSpanContext({
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      traceFlags: TraceFlags.NONE,
    });
    const child = tracer.startSpan('hook', {}, trace.setSpan(ROOT_CONTEXT, dropped));
    assert.equal(child.isRecording(), false);
    assert.equal(child.spanContext().traceId, 'c'.repeat(32));
    assert.notEqual(child.spanContext().spanId, 'd'.repeat(16));
    assert.equal(child.spanContext().traceFlags, TraceFlags.NONE);
    child.end();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it('startActiveSpan makes the span active for the callback, in every argument form', () => {
    const { sdk, tracer } = setup();
    const parent = trace.setSpan(ROOT_CONTEXT, sdk.startSpan('parent'));
    const seen = tracer.startActiveSpan('a', {}, parent, (span) => {
      span.end();
      return span;
    });
    assert.ok(seen instanceof ChildSpan);
    const two = tracer.startActiveSpan('b', (span) => {
      span.end();
      return span.spanContext().spanId;
    });
    assert.match(two, /^[0-9a-f]{16}$/);
  });
});
