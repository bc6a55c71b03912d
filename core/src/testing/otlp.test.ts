import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeOtlpTraces } from './otlp';

/** Real spans from the SDK, encoded by OpenTelemetry's own serializers. */
function spans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'aihub-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('t');
  const root = tracer.startSpan('POST /v1/chat/completions', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200, ratio: 0.25, sampled: true },
  });
  const child = tracer.startSpan(
    'chat gpt-4o-mini',
    { kind: SpanKind.CLIENT, attributes: { 'gen_ai.usage.input_tokens': -3, 'gen_ai.request.model': 'gpt-4o-mini' } },
    trace.setSpan(context.active(), root),
  );
  child.end();
  root.end();
  return { finished: exporter.getFinishedSpans(), root, child };
}

describe('decodeOtlpTraces (test receivers)', () => {
  for (const [type, serializer] of [
    ['application/x-protobuf', ProtobufTraceSerializer],
    ['application/json', JsonTraceSerializer],
  ] as const) {
    it(`decodes what OpenTelemetry's ${type} serializer writes`, () => {
      const { finished, root, child } = spans();
      const body = Buffer.from(serializer.serializeRequest(finished)!);
      const got = decodeOtlpTraces(body, type);
      assert.equal(got.length, 2);
      const r = got.find((s) => s.name === 'POST /v1/chat/completions')!;
      const c = got.find((s) => s.name === 'chat gpt-4o-mini')!;
      assert.equal(r.traceId, root.spanContext().traceId);
      assert.equal(r.spanId, root.spanContext().spanId);
      assert.equal(r.parentSpanId, '');
      assert.equal(r.kind, 2);
      assert.equal(r.serviceName, 'aihub-test');
      assert.deepEqual(r.attributes, {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        ratio: 0.25,
        sampled: true,
      });
      assert.equal(c.traceId, root.spanContext().traceId);
      assert.equal(c.spanId, child.spanContext().spanId);
      assert.equal(c.parentSpanId, root.spanContext().spanId);
      assert.equal(c.kind, 3);
      assert.deepEqual(c.attributes, { 'gen_ai.usage.input_tokens': -3, 'gen_ai.request.model': 'gpt-4o-mini' });
    });
  }

  it('refuses other encodings and truncated bodies', () => {
    assert.throws(() => decodeOtlpTraces(Buffer.from('x'), 'text/plain'), /unsupported OTLP content-type/);
    const { finished } = spans();
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(finished)!);
    assert.throws(() => decodeOtlpTraces(body.subarray(0, body.length - 5), 'application/x-protobuf'), /truncated/);
  });
});
