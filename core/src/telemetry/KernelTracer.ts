import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context as otelContext,
  diag,
  isSpanContextValid,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed, millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';

/** The SDK's default limits, which the gateway keeps (createTracing sets no others). */
const ATTRIBUTE_COUNT_LIMIT = 128;
const EVENT_COUNT_LIMIT = 128;

const ids = new RandomIdGenerator();

function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  if (!Array.isArray(value)) return false;
  // Homogeneous arrays of primitives (nulls allowed), as the specification and the SDK require.
  let kind: string | undefined;
  for (const v of value) {
    if (v == null) continue;
    const vt = typeof v;
    if (vt !== 'string' && vt !== 'number' && vt !== 'boolean') return false;
    if (kind === undefined) kind = vt;
    else if (kind !== vt) return false;
  }
  return true;
}

/** Milliseconds since the epoch for a TimeInput (HrTime, Date or epoch/performance milliseconds). */
function toHrTime(input: TimeInput | undefined, fallback: () => HrTime): HrTime {
  if (input === undefined) return fallback();
  if (Array.isArray(input)) return input as HrTime;
  if (input instanceof Date) return millisToHrTime(input.getTime());
  // A number below the process's uptime is a performance.now() value, as the SDK assumes.
  const ms = input <= performance.now() ? performance.timeOrigin + input : input;
  return millisToHrTime(ms);
}

/**
 * A span of a kept trace (a child, or a root the kernel decided to keep), recorded without the
 * SDK's generic path.
 *
 * Why: a kept request makes about ten spans (the request, one per plugin hook, one per provider
 * attempt), and the SDK's Tracer.startSpan + SpanImpl cost ~10 µs each on this path — a sampler
 * call whose answer for a sampled local parent is always "record", attribute sanitizing, hr-time
 * arithmetic, self-observability counters. Measured with `npm run bench:ablate` (every trace kept):
 * creating the spans cost ~96 µs per request, exporting them ~56 µs. This span does what the SDK
 * does for that case (ParentBased sampler → record and sample, default limits) and hands itself to
 * the same span processor, so export, batching and resource are unchanged. It implements both the
 * API `Span` and the SDK's `ReadableSpan` that exporters read.
 */
export class ChildSpan implements Span, ReadableSpan {
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly attributes: Attributes;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private attributeCount: number;
  private readonly startMs: number;
  private readonly perfStart: number;
  private perfEnd = -1;
  private endOverride?: HrTime;

  constructor(
    public name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    /** Undefined for a root span. */
    readonly parentSpanContext: SpanContext | undefined,
    attributes: Attributes | undefined,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
    private readonly processor: SpanProcessor,
  ) {
    // Wall clock at the start (as the SDK anchors its spans), monotonic clock for the duration.
    this.startMs = Date.now();
    this.perfStart = performance.now();
    this.attributes = {};
    this.attributeCount = 0;
    if (attributes) this.setAttributes(attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get ended(): boolean {
    return this.perfEnd >= 0;
  }

  get startTime(): HrTime {
    return millisToHrTime(this.startMs);
  }

  get endTime(): HrTime {
    if (this.endOverride) return this.endOverride;
    return this.ended ? millisToHrTime(this.startMs + (this.perfEnd - this.perfStart)) : [0, 0];
  }

  get duration(): HrTime {
    if (!this.ended) return [-1, -1];
    if (this.endOverride) {
      const start = this.startTime;
      const ns = (this.endOverride[0] - start[0]) * 1e9 + (this.endOverride[1] - start[1]);
      return ns <= 0 ? [0, 0] : [Math.floor(ns / 1e9), ns % 1e9];
    }
    return millisToHrTime(this.perfEnd - this.perfStart);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.ended) return this;
    if (key.length === 0 || !isAttributeValue(value)) {
      diag.warn(`Invalid attribute ${key ? `value set for key: ${key}` : 'key'}`);
      return this;
    }
    if (!(key in this.attributes)) {
      if (this.attributeCount >= ATTRIBUTE_COUNT_LIMIT) {
        this.droppedAttributesCount++;
        return this;
      }
      this.attributeCount++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    let attributes: SpanAttributes | undefined;
    if (
      attributesOrTime !== undefined &&
      (typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date)
    ) {
      time = attributesOrTime;
    } else {
      attributes = attributesOrTime;
    }
    if (this.events.length >= EVENT_COUNT_LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    const clean: Attributes = {};
    if (attributes) for (const k in attributes) if (k && isAttributeValue(attributes[k])) clean[k] = attributes[k];
    this.events.push({
      name,
      attributes: clean,
      time: toHrTime(time, () => millisToHrTime(this.startMs + (performance.now() - this.perfStart))),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(): this {
    // Links are only taken at start (KernelTracer hands spans with links to the SDK).
    diag.warn('addLink on a gateway child span is ignored; pass links to startSpan');
    return this;
  }

  addLinks(): this {
    return this.addLink();
  }

  setStatus(status: SpanStatus): this {
    if (this.ended) return this;
    // As the SDK: OK is final, UNSET never overrides.
    if (this.status.code === SpanStatusCode.OK || status.code === SpanStatusCode.UNSET) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: SpanAttributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = String(exception.code);
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.context.traceId}-${this.context.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    this.perfEnd = performance.now();
    if (endTime !== undefined) this.endOverride = toHrTime(endTime, () => [0, 0]);
    this.processor.onEnd(this);
  }
}

/**
 * Set (true) on a request's root span when the kernel already decided to keep the trace (head
 * sampling in createApp): KernelTracer records it without asking a sampler, and the SDK's root
 * sampler (see createTracing) keeps it unconditionally.
 */
export const HEAD_SAMPLED = 'aihub.sampling.head';

/** What KernelTracer needs from the tracing setup. */
export interface ChildSpanSink {
  resource: Resource;
  processor: SpanProcessor;
}

/**
 * The tracer the kernel and plugins get. Spans whose parent belongs to a kept trace of this process
 * and that ask for nothing unusual (no links, not a new root, no explicit start time) are
 * {@link ChildSpan}s, and so are roots marked {@link HEAD_SAMPLED}; every other span — other roots,
 * remote parents, unsampled parents — goes to the SDK's tracer, which keeps the sampler,
 * propagation and limits exactly as configured.
 */
export class KernelTracer implements Tracer {
  constructor(
    private readonly sdk: Tracer & { instrumentationScope: InstrumentationScope },
    private readonly sink: ChildSpanSink,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = otelContext.active()): Span {
    if (options.root || options.links?.length || options.startTime !== undefined || isTracingSuppressed(ctx))
      return this.sdk.startSpan(name, options, ctx);
    const parent = trace.getSpan(ctx);
    if (parent === undefined) {
      if (options.attributes?.[HEAD_SAMPLED] !== true) return this.sdk.startSpan(name, options, ctx);
      return this.record(
        name,
        options,
        { traceId: ids.generateTraceId(), spanId: ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED },
        undefined,
        ctx,
      );
    }
    const pc = parent.spanContext();
    if (pc.isRemote || !isSpanContextValid(pc)) return this.sdk.startSpan(name, options, ctx);
    if ((pc.traceFlags & TraceFlags.SAMPLED) === 0) {
      // The parent-based sampler drops children of a dropped trace: a fresh span id, same trace,
      // unsampled, so context still propagates (what the SDK returns, without its sampler call).
      return trace.wrapSpanContext({
        traceId: pc.traceId,
        spanId: ids.generateSpanId(),
        traceFlags: TraceFlags.NONE,
        traceState: pc.traceState,
      });
    }
    return this.record(
      name,
      options,
      { traceId: pc.traceId, spanId: ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED, traceState: pc.traceState },
      pc,
      ctx,
    );
  }

  private record(
    name: string,
    options: SpanOptions,
    sc: SpanContext,
    parent: SpanContext | undefined,
    ctx: Context,
  ): ChildSpan {
    const span = new ChildSpan(
      name,
      options.kind ?? SpanKind.INTERNAL,
      sc,
      parent,
      options.attributes,
      this.sink.resource,
      this.sdk.instrumentationScope,
      this.sink.processor,
    );
    this.sink.processor.onStart(span as never, ctx);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    // Same argument forms as the API: (name, fn), (name, options, fn), (name, options, context, fn).
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const parent = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
    const base = parent ?? otelContext.active();
    const span = this.startSpan(name, options, base);
    return otelContext.with(trace.setSpan(base, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}
