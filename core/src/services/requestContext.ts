import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context as OtelContext } from '@opentelemetry/api';

/**
 * What the logger and the data layer need to know about the request being served, without threading
 * it through every call. Entered once per request by the kernel; plugins may fill in `tenantId`.
 */
export interface RequestInfo {
  requestId: string;
  traceId?: string;
  spanId?: string;
  tenantId?: string;
}

/** A typed key for a value that follows the async flow (see {@link runWithAmbient}). */
export interface AmbientKey<T> {
  readonly name: string;
  /** Type marker only. */
  readonly __type?: T;
}

/** Values set with runWithAmbient, innermost first (a short list: lookups walk it). */
interface AmbientValue {
  readonly key: AmbientKey<unknown>;
  readonly value: unknown;
  readonly next: AmbientValue | undefined;
}

/**
 * One frame of the gateway's async context: the request, the OpenTelemetry context and plugins'
 * ambient values. Frames are immutable; entering a new value makes a new frame that shares the rest.
 */
interface Frame {
  readonly request: RequestInfo | undefined;
  /** Read through otelOf(); shared (not copied) by frames that keep their parent's context. */
  readonly otel: OtelSlot | undefined;
  readonly values: AmbientValue | undefined;
}

/**
 * A frame's OpenTelemetry context, or how to build it on first use: most requests' traces are not
 * kept and most of those never look at their context, so building it (a copy of the context map)
 * up front would be wasted. Frames entered below the request (a tenant scope) share the slot, so
 * entering them builds nothing, and once built every reader sees the same object.
 */
interface OtelSlot {
  context: OtelContext | undefined;
  build: (() => OtelContext) | undefined;
}

function otelOf(frame: Frame | undefined): OtelContext | undefined {
  const slot = frame?.otel;
  if (slot === undefined) return undefined;
  if (slot.build !== undefined) {
    slot.context = slot.build();
    slot.build = undefined;
  }
  return slot.context;
}

/**
 * Everything AI Hub carries across awaits lives in this ONE AsyncLocalStorage: the request (logs),
 * the OpenTelemetry context (spans; see SharedContextManager) and plugins' ambient values (the
 * tenancy plugin's data scope). Why one: on Node 20 every enabled AsyncLocalStorage copies its value
 * onto every promise the process creates, and a proxied AI request creates hundreds. With three
 * storages (request, OpenTelemetry, tenant scope) that was a measurable share of each request's CPU.
 * On Node 24 (AsyncContextFrame) promises carry the frame for free, and each run()/enterWith()
 * copies the frame's map of every storage entered: one storage is still the cheapest, and the cost
 * is per entry (a few per request), ~0.2 % of busy time against Node 20's 3 % (docs/design.md, Node 24).
 */
const storage = new AsyncLocalStorage<Frame>();

export function currentRequest(): RequestInfo | undefined {
  return storage.getStore()?.request;
}

/**
 * Runs `fn` (and everything it awaits) as the request `info`, with `otel` as the active
 * OpenTelemetry context (undefined: the root context; a function: built on first use). Called by
 * the kernel once per request.
 */
export function runInRequest<T>(
  info: RequestInfo,
  otel: OtelContext | (() => OtelContext) | undefined,
  fn: () => T,
): T {
  const slot =
    otel === undefined
      ? undefined
      : typeof otel === 'function'
        ? { context: undefined, build: otel }
        : { context: otel, build: undefined };
  return storage.run({ request: info, otel: slot, values: undefined }, fn);
}

/** Creates a key for {@link runWithAmbient}; `name` only shows in debugging. */
export function defineAmbientKey<T>(name: string): AmbientKey<T> {
  return { name };
}

/**
 * Runs `fn` (and everything it awaits) with `value` under `key`; the request and the trace context
 * carry on unchanged. Use it for context that code deep in a call chain needs (a data scope), where
 * passing it explicitly is not possible; prefer explicit parameters everywhere else.
 */
export function runWithAmbient<T, R>(key: AmbientKey<T>, value: T, fn: () => R): R {
  const frame = storage.getStore();
  return storage.run({ request: frame?.request, otel: frame?.otel, values: { key, value, next: frame?.values } }, fn);
}

/** The innermost value set for `key` in the current async flow, if any. */
export function ambientValue<T>(key: AmbientKey<T>): T | undefined {
  for (let v = storage.getStore()?.values; v !== undefined; v = v.next) if (v.key === key) return v.value as T;
  return undefined;
}

/** The active OpenTelemetry context of the current flow (for SharedContextManager). */
export function activeOtelContext(): OtelContext | undefined {
  return otelOf(storage.getStore());
}

/** Runs `fn` with `otel` as the active OpenTelemetry context (for SharedContextManager). */
export function runWithOtelContext<A extends unknown[], R>(otel: OtelContext, fn: (...args: A) => R, args: A): R {
  const frame = storage.getStore();
  return storage.run(
    { request: frame?.request, otel: { context: otel, build: undefined }, values: frame?.values },
    fn,
    ...args,
  );
}

/**
 * Makes `otel` the active OpenTelemetry context for the rest of the current synchronous execution
 * and what it schedules (AsyncLocalStorage.enterWith); returns a function that restores the frame
 * that was active before.
 */
export function enterOtelContext(otel: OtelContext): () => void {
  const frame = storage.getStore();
  storage.enterWith({ request: frame?.request, otel: { context: otel, build: undefined }, values: frame?.values });
  return () => storage.enterWith(frame as Frame);
}
