import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { RouteEntry } from './routing/catalog';
import type { CallInput, RawUsage } from './types';

const headerSetter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

/**
 * A provider span following the OpenTelemetry GenAI semantic conventions: `{operation} {model}`,
 * kind CLIENT, child of the active (request) span. Returns undefined when the trace is not sampled,
 * so unsampled requests pay for nothing but the sampling decision.
 */
export function startProviderSpan(
  tracer: Tracer,
  call: CallInput,
  entry: RouteEntry,
  alias: string,
  attempt: number,
): Span | undefined {
  const active = context.active();
  // A request whose trace is not kept (most of them): the parent-based sampler would only wrap a
  // fresh id in a non-recording span; skip the SDK altogether.
  const parent = trace.getSpan(active);
  if (parent !== undefined && (parent.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  const op = call.op === 'chat' ? 'chat' : 'embeddings';
  const model = entry.dep.model;
  const span = tracer.startSpan(`${op} ${model}`, { kind: SpanKind.CLIENT }, active);
  if (!span.isRecording()) {
    span.end();
    return undefined;
  }
  const p = entry.dep.provider;
  const b = call.body;
  span.setAttributes({
    'gen_ai.operation.name': op,
    'gen_ai.provider.name': p.genAiSystem,
    'gen_ai.system': p.genAiSystem,
    'gen_ai.request.model': model,
    'aihub.model_alias': alias,
    'aihub.deployment': entry.dep.id,
    'aihub.attempt': attempt,
  });
  if (p.serverAddress) span.setAttributes({ 'server.address': p.serverAddress, 'server.port': p.serverPort ?? 0 });
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (typeof maxTokens === 'number') span.setAttribute('gen_ai.request.max_tokens', maxTokens);
  if (typeof b.temperature === 'number') span.setAttribute('gen_ai.request.temperature', b.temperature);
  if (typeof b.top_p === 'number') span.setAttribute('gen_ai.request.top_p', b.top_p);
  if (call.stream) span.setAttribute('gen_ai.request.stream', true);
  return span;
}

/** W3C (and Jaeger) trace headers for the upstream request, from the provider span. */
export function traceHeaders(span: Span): Record<string, string> | undefined {
  if (!isSpanContextValid(span.spanContext())) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier, headerSetter);
  return carrier;
}

export function endProviderSpan(
  span: Span | undefined,
  result: {
    usage?: RawUsage;
    responseModel?: string;
    responseId?: string;
    finishReasons?: string[];
    error?: string;
    status?: number;
  },
): void {
  if (!span) return;
  if (result.responseModel) span.setAttribute('gen_ai.response.model', result.responseModel);
  if (result.responseId) span.setAttribute('gen_ai.response.id', result.responseId);
  if (result.finishReasons?.length) span.setAttribute('gen_ai.response.finish_reasons', result.finishReasons);
  if (result.usage) {
    span.setAttribute('gen_ai.usage.input_tokens', result.usage.promptTokens);
    span.setAttribute('gen_ai.usage.output_tokens', result.usage.completionTokens);
  }
  if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
  if (result.error) {
    span.setAttribute('error.type', result.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
  }
  span.end();
}
