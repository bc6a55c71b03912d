import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** Helpers both EventQueue implementations use to check and encode messages the same way. */

/** Topics become table values and Redis key parts: keep them short, non-empty strings. */
export function validateTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 200) {
    throw new TypeError(
      `Invalid queue topic ${JSON.stringify(topic)}: use a non-empty string of at most 200 characters`,
    );
  }
}

/** JSON-encodes a payload at publish time, so later changes to the object do not leak into the message. */
export function serializePayload(payload: unknown): string {
  const text = JSON.stringify(payload);
  if (typeof text !== 'string') throw new TypeError(`Queue payloads must be JSON-serializable; got ${typeof payload}`);
  return text;
}

/**
 * Decodes a stored payload. A payload that is not JSON (written by another tool) is handed over as
 * the raw string rather than failing the whole batch forever.
 */
export function parsePayload<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/** A consumer name unique to this process: host, pid and a random suffix. */
export function defaultConsumerName(): string {
  return `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** ConsumeOptions with defaults applied and values Redis and SQL accept (whole, non-negative numbers). */
export interface ReadSettings {
  group: string;
  consumer: string;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
}

const DEFAULT_BATCH_SIZE = 100;
const MAX_BATCH_SIZE = 10_000;
const DEFAULT_CLAIM_IDLE_MS = 30_000;

function wholeMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
  return Math.ceil(value);
}

/**
 * Applies defaults (batch 100, claimIdleMs 30 s, consumer = this process) and validates once, so a
 * bad option fails the call with a clear message instead of an obscure Redis or SQL error.
 */
export function readSettings(
  options: { group: string; consumer?: string; batchSize?: number; blockMs?: number; claimIdleMs?: number },
  defaults: { consumer: string; blockMs: number },
): ReadSettings {
  if (typeof options.group !== 'string' || options.group.length === 0 || options.group.length > 200) {
    throw new TypeError(
      `Invalid consumer group ${JSON.stringify(options.group)}: use a non-empty string of at most 200 characters`,
    );
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${String(batchSize)}`);
  }
  return {
    group: options.group,
    consumer: options.consumer || defaults.consumer,
    batchSize,
    blockMs: wholeMs(options.blockMs, defaults.blockMs, 'blockMs'),
    claimIdleMs: wholeMs(options.claimIdleMs, DEFAULT_CLAIM_IDLE_MS, 'claimIdleMs'),
  };
}
