import { createHmac } from 'node:crypto';
import type { PiiPolicy } from '@aihub/core/plugin-api';
import type { StoredEvent } from '../ingest/events';

type Json = Record<string, unknown>;

/** A tenant's PII policy compiled once: plain names match at any depth, dotted names are exact paths. */
export interface CompiledPolicy {
  hashNames: Set<string>;
  hashPaths: string[][];
  dropNames: Set<string>;
  dropPaths: string[][];
  hashIds: { userId: boolean; anonymousId: boolean };
  empty: boolean;
}

const cache = new WeakMap<PiiPolicy, CompiledPolicy>();

export function compilePolicy(policy: PiiPolicy | undefined): CompiledPolicy | undefined {
  if (!policy) return undefined;
  let compiled = cache.get(policy);
  if (compiled) return compiled;
  const split = (fields: string[] | undefined) => {
    const names = new Set<string>();
    const paths: string[][] = [];
    for (const f of fields ?? []) {
      if (typeof f !== 'string' || !f) continue;
      if (f.includes('.')) paths.push(f.split('.'));
      else names.add(f);
    }
    return { names, paths };
  };
  const hash = split(policy.hashFields);
  const drop = split(policy.dropFields);
  compiled = {
    hashNames: hash.names,
    hashPaths: hash.paths,
    dropNames: drop.names,
    dropPaths: drop.paths,
    hashIds: { userId: hash.names.has('userId'), anonymousId: hash.names.has('anonymousId') },
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

function walk(obj: Json, p: CompiledPolicy, key: Buffer): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (p.dropNames.has(k)) continue;
    if (p.hashNames.has(k)) {
      out[k] = v === null || v === undefined ? v : hashValue(key, v);
      continue;
    }
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? walk(v as Json, p, key) : v;
  }
  return out;
}

function applyPath(obj: Json, path: string[], action: 'hash' | 'drop', key: Buffer): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (!cur || typeof cur !== 'object') return;
    cur = (cur as Json)[path[i]];
  }
  if (!cur || typeof cur !== 'object') return;
  const leaf = path[path.length - 1];
  const o = cur as Json;
  if (!(leaf in o)) return;
  if (action === 'drop') delete o[leaf];
  else if (o[leaf] !== null && o[leaf] !== undefined) o[leaf] = hashValue(key, o[leaf]);
}

function applyTo(obj: Json | null, p: CompiledPolicy, key: Buffer): Json | null {
  if (!obj) return obj;
  // walk() copies, so the paths below never modify the client's object.
  const out = walk(obj, p, key);
  for (const path of p.dropPaths) applyPath(out, path, 'drop', key);
  for (const path of p.hashPaths) applyPath(out, path, 'hash', key);
  return out;
}

/**
 * Applies a tenant's PII policy to an event before it is queued: configured fields are dropped or
 * replaced by their HMAC in properties, traits and context (context.traits included); `userId` and
 * `anonymousId` are hashed too when listed in hashFields. Raw values never reach the queue or the database.
 */
export function applyPolicy(event: Omit<StoredEvent, 'tenantId'>, p: CompiledPolicy, key: Buffer): Omit<StoredEvent, 'tenantId'> {
  return {
    ...event,
    userId: p.hashIds.userId && event.userId ? hashValue(key, event.userId) : event.userId,
    anonymousId: p.hashIds.anonymousId && event.anonymousId ? hashValue(key, event.anonymousId) : event.anonymousId,
    properties: applyTo(event.properties, p, key),
    traits: applyTo(event.traits, p, key),
    context: applyTo(event.context, p, key),
  };
}
