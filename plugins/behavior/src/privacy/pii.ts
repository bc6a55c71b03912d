import { createHmac } from 'node:crypto';
import type { PiiPolicy } from '@aihub/core/plugin-api';
import type { StoredEvent } from '../ingest/events';

type Json = Record<string, unknown>;

/** The identity fields of an event (top level, not inside properties/traits/context). */
type IdentityField = 'userId' | 'anonymousId' | 'groupId' | 'previousId';

/**
 * A tenant's PII policy compiled once. Names and path segments are lower-cased: a configured
 * `email` matches `Email` and `EMAIL` too (clients spell keys every way; a policy that misses one
 * casing stores the raw value). Plain names match at any depth, inside arrays included; dotted names
 * are paths from the top of properties, traits or context, and arrays on the way are crossed
 * (`list.email` matches `list[0].email`, `list[1].email`, …).
 */
export interface CompiledPolicy {
  hashNames: Set<string>;
  hashPaths: string[][];
  dropNames: Set<string>;
  dropPaths: string[][];
  /** Which identity fields are replaced by their HMAC. */
  hashIds: Record<IdentityField, boolean>;
  empty: boolean;
}

const cache = new WeakMap<PiiPolicy, CompiledPolicy>();

/** Deepest nesting walked; deeper values are dropped rather than stored unchecked. */
const MAX_DEPTH = 64;

export function compilePolicy(policy: PiiPolicy | undefined): CompiledPolicy | undefined {
  if (!policy) return undefined;
  let compiled = cache.get(policy);
  if (compiled) return compiled;
  const split = (fields: string[] | undefined) => {
    const names = new Set<string>();
    const paths: string[][] = [];
    for (const f of fields ?? []) {
      if (typeof f !== 'string' || !f) continue;
      const lower = f.toLowerCase();
      if (lower.includes('.')) paths.push(lower.split('.').filter(Boolean));
      else names.add(lower);
    }
    return { names, paths };
  };
  const hash = split(policy.hashFields);
  const drop = split(policy.dropFields);
  // An identity field cannot be dropped (the event needs one to be attributed): listed under
  // dropFields it is hashed instead, the stricter of the two choices that keep the event.
  const listed = (f: string) => hash.names.has(f.toLowerCase()) || drop.names.has(f.toLowerCase());
  const userOrAnon = listed('userId') || listed('anonymousId');
  const hashIds: Record<IdentityField, boolean> = {
    userId: listed('userId'),
    anonymousId: listed('anonymousId'),
    groupId: listed('groupId'),
    // An alias's previousId is a former userId or anonymousId: when either is hashed, so is
    // previousId, or the alias would store the raw id and no longer join the hashed events.
    previousId: listed('previousId') || userOrAnon,
  };
  compiled = {
    hashNames: hash.names,
    hashPaths: hash.paths,
    dropNames: drop.names,
    dropPaths: drop.paths,
    hashIds,
    empty: !hash.names.size && !hash.paths.length && !drop.names.size && !drop.paths.length,
  };
  cache.set(policy, compiled);
  return compiled;
}

/** HMAC-SHA-256 with the tenant's key, hex: the same input hashes the same within a tenant (joins still work), never across tenants. */
export function hashValue(key: Buffer, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Where a value sits relative to the configured paths: the paths still being followed and how far along each is. */
type Progress = { path: string[]; at: number; action: 'hash' | 'drop' }[];

function advance(progress: Progress, key: string): Progress {
  const next: Progress = [];
  for (const p of progress) if (p.path[p.at] === key) next.push({ ...p, at: p.at + 1 });
  return next;
}

/**
 * A copy of `value` with the policy applied. `progress` follows the dotted paths: a key that
 * completes a path is dropped or hashed; arrays do not consume a path segment.
 */
function walk(value: unknown, p: CompiledPolicy, key: Buffer, progress: Progress, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) out.push(walk(v, p, key, progress, depth + 1));
    return out;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    const lower = k.toLowerCase();
    const here = progress.length ? advance(progress, lower) : progress;
    const ends = here.filter((x) => x.at === x.path.length);
    if (p.dropNames.has(lower) || ends.some((x) => x.action === 'drop')) continue;
    if (p.hashNames.has(lower) || ends.length) {
      // A hashed object or array is hashed whole: its parts would otherwise leak through.
      out[k] = v === null || v === undefined ? v : hashValue(key, v);
      continue;
    }
    const walked = walk(v, p, key, ends.length ? here.filter((x) => x.at < x.path.length) : here, depth + 1);
    if (walked !== undefined) out[k] = walked;
  }
  return out;
}

function applyTo(obj: Json | null, p: CompiledPolicy, key: Buffer, start: Progress): Json | null {
  if (!obj) return obj;
  return walk(obj, p, key, start, 0) as Json;
}

/**
 * Applies a tenant's PII policy to an event before it is queued: configured fields are dropped or
 * replaced by their HMAC in properties, traits and context (at any depth, inside arrays, whatever
 * their casing); identity fields (userId, anonymousId, groupId, previousId) are hashed when listed,
 * and previousId whenever userId or anonymousId is. Raw values never reach the queue or the database.
 */
export function applyPolicy(
  event: Omit<StoredEvent, 'tenantId'>,
  p: CompiledPolicy,
  key: Buffer,
): Omit<StoredEvent, 'tenantId'> {
  const start: Progress = [
    ...p.dropPaths.map((path) => ({ path, at: 0, action: 'drop' as const })),
    ...p.hashPaths.map((path) => ({ path, at: 0, action: 'hash' as const })),
  ];
  const id = (field: IdentityField) => {
    const v = event[field];
    return p.hashIds[field] && v ? hashValue(key, v) : v;
  };
  return {
    ...event,
    userId: id('userId'),
    anonymousId: id('anonymousId'),
    groupId: id('groupId'),
    previousId: id('previousId'),
    properties: applyTo(event.properties, p, key, start),
    traits: applyTo(event.traits, p, key, start),
    context: applyTo(event.context, p, key, start),
  };
}
