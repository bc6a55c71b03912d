import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the mock should do wrong for a request. Queued with `setFailure()` / `POST /_mock/failures`,
 * or sent per request as `x-mock-*` headers (handy with curl or a load generator).
 */
export interface FailureSpec {
  /** Answer with this HTTP status and an error body in the endpoint's format (OpenAI or Anthropic). */
  status?: number;
  /** `Retry-After` in seconds on the error answer. */
  retryAfter?: number;
  /** `retry-after-ms` (OpenAI's millisecond variant) on the error answer. */
  retryAfterMs?: number;
  /** Error message override. */
  message?: string;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Wait this long between stream chunks. */
  chunkDelayMs?: number;
  /** Destroy the socket before sending anything (a dropped connection). */
  drop?: boolean;
  /** Stream: destroy the socket after this many chunks (a stream cut mid-way). */
  cutAfterChunks?: number;
  /** Stream: end cleanly after this many chunks, without the final usage chunk or `[DONE]`. */
  endAfterChunks?: number;
  /** Stream: send an in-stream error event (in the endpoint's format) after this many chunks, then end. */
  errorAfterChunks?: number;
  /** Leave `usage` out of responses and streams (as some OpenAI-compatible servers do). */
  noUsage?: boolean;
  /** Completion length in tokens for this request. */
  completionTokens?: number;
  /** How many matching requests this spec applies to (default 1; 0 means every one until cleared). */
  times?: number;
  /** Only requests matching these apply (and consume the spec). */
  match?: { model?: string; path?: string };
}

interface Queued {
  spec: FailureSpec;
  remaining: number;
}

export class FailureQueue {
  private queued: Queued[] = [];

  add(spec: FailureSpec): void {
    this.queued.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.queued = [];
  }

  get size(): number {
    return this.queued.length;
  }

  /** Takes the first spec that matches the request (consuming one use of it). */
  take(path: string, model: string | undefined): FailureSpec | undefined {
    if (this.queued.length === 0) return undefined;
    for (let i = 0; i < this.queued.length; i++) {
      const q = this.queued[i];
      const m = q.spec.match;
      if (m?.model !== undefined && m.model !== model) continue;
      if (m?.path !== undefined && !path.startsWith(m.path)) continue;
      if (q.remaining > 0 && --q.remaining === 0) this.queued.splice(i, 1);
      return q.spec;
    }
    return undefined;
  }
}

const num = (v: string | string[] | undefined): number | undefined => {
  if (typeof v !== 'string' || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Reads `x-mock-*` headers into a spec (undefined when there are none: the common, fast case). */
export function failureFromHeaders(h: IncomingHttpHeaders): FailureSpec | undefined {
  if (
    h['x-mock-status'] === undefined &&
    h['x-mock-delay-ms'] === undefined &&
    h['x-mock-chunk-delay-ms'] === undefined &&
    h['x-mock-drop'] === undefined &&
    h['x-mock-cut-after'] === undefined &&
    h['x-mock-end-after'] === undefined &&
    h['x-mock-no-usage'] === undefined &&
    h['x-mock-completion-tokens'] === undefined &&
    h['x-mock-error-after'] === undefined
  ) {
    return undefined;
  }
  return {
    status: num(h['x-mock-status']),
    retryAfter: num(h['x-mock-retry-after']),
    delayMs: num(h['x-mock-delay-ms']),
    chunkDelayMs: num(h['x-mock-chunk-delay-ms']),
    drop: h['x-mock-drop'] === '1' || h['x-mock-drop'] === 'true',
    cutAfterChunks: num(h['x-mock-cut-after']),
    endAfterChunks: num(h['x-mock-end-after']),
    errorAfterChunks: num(h['x-mock-error-after']),
    noUsage: h['x-mock-no-usage'] === '1' || h['x-mock-no-usage'] === 'true',
    completionTokens: num(h['x-mock-completion-tokens']),
  };
}

/** Merges a header spec over a queued one (headers win). */
export function mergeFailure(a: FailureSpec | undefined, b: FailureSpec | undefined): FailureSpec | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: FailureSpec = { ...a };
  for (const [k, v] of Object.entries(b)) if (v !== undefined && v !== false) (out as Record<string, unknown>)[k] = v;
  return out;
}
