import type { MemoryScriptApi, ScriptDefinition } from '@aihub/core/plugin-api';

/**
 * The shared layer's atomic scripts (Lua for Redis, JS twins for the in-memory store).
 *
 * Every tenant has an index: a sorted set of its entry keys scored by expiry. A purge walks the
 * tenant's index instead of SCANning the whole keyspace, and each store trims expired members, so
 * the index never outgrows the tenant's live entries. The memory twins keep the index as JSON.
 */

function nowOf(api: MemoryScriptApi): number {
  return api.now();
}

function readIndex(api: MemoryScriptApi, key: string, now: number): Record<string, number> {
  const raw = api.get(key);
  const index: Record<string, number> = raw ? (JSON.parse(raw) as Record<string, number>) : {};
  for (const member in index) if (index[member] <= now) delete index[member];
  return index;
}

function writeIndex(api: MemoryScriptApi, key: string, index: Record<string, number>): void {
  let last = 0;
  for (const member in index) if (index[member] > last) last = index[member];
  if (last === 0) api.del(key);
  else api.set(key, JSON.stringify(index), Math.max(1, last - nowOf(api)));
}

/** KEYS: entry, tenant index. ARGV: serialized entry, ttlMs. Stores, indexes, trims the index. */
const STORE_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1`;

export const storeScript: ScriptDefinition<number> = {
  name: 'cache.store',
  lua: STORE_LUA,
  memory(api, keys, args) {
    const now = nowOf(api);
    const ttl = Number(args[1]);
    api.set(keys[0], args[0], ttl);
    const index = readIndex(api, keys[1], now);
    index[keys[0]] = now + ttl;
    writeIndex(api, keys[1], index);
    return 1;
  },
};

/**
 * One purge step. KEYS: tenant index. ARGV: full key prefix to match ('' = all), batch size, offset.
 * Deletes the matching entries among `batch` index members from `offset`; returns
 * `[membersScanned, entriesRemoved]`. The caller advances the offset by scanned − removed.
 */
const PURGE_LUA = `local batch = tonumber(ARGV[2])
local offset = tonumber(ARGV[3])
local prefix = ARGV[1]
local members = redis.call('ZRANGE', KEYS[1], offset, offset + batch - 1)
local doomed = {}
for _, m in ipairs(members) do
  if prefix == '' or string.sub(m, 1, #prefix) == prefix then doomed[#doomed + 1] = m end
end
if #doomed > 0 then
  redis.call('UNLINK', unpack(doomed))
  redis.call('ZREM', KEYS[1], unpack(doomed))
end
return {#members, #doomed}`;

export const purgeScript: ScriptDefinition<[number, number]> = {
  name: 'cache.purge',
  lua: PURGE_LUA,
  memory(api, keys, args) {
    const prefix = args[0];
    const batch = Number(args[1]);
    const offset = Number(args[2]);
    const index = readIndex(api, keys[0], nowOf(api));
    const members = Object.keys(index).slice(offset, offset + batch);
    let removed = 0;
    for (const m of members) {
      if (prefix === '' || m.startsWith(prefix)) {
        api.del(m);
        delete index[m];
        removed++;
      }
    }
    writeIndex(api, keys[0], index);
    return [members.length, removed];
  },
};

/**
 * The shared-layer lookup of a miss, with single-flight leadership in the same round trip.
 * KEYS: entry, lock. ARGV: lock token, lock ttlMs (0 = do not lock).
 * Returns `[1, entry]` (hit), `[2]` (lock taken: this caller leads), `[3]` (another caller leads),
 * `[0]` (miss, no lock asked).
 */
const CLAIM_LUA = `local v = redis.call('GET', KEYS[1])
if v then return {1, v} end
if tonumber(ARGV[2]) <= 0 then return {0} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {3}`;

export type ClaimReply = [number, string?];

export const claimScript: ScriptDefinition<ClaimReply> = {
  name: 'cache.claim',
  lua: CLAIM_LUA,
  memory(api, keys, args) {
    const v = api.get(keys[0]);
    if (v !== null) return [1, v];
    if (Number(args[1]) <= 0) return [0];
    if (api.get(keys[1]) !== null) return [3];
    api.set(keys[1], args[0], Number(args[1]));
    return [2];
  },
};

/** Releases a lock only if this caller still holds it. KEYS: lock. ARGV: token. */
const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export const unlockScript: ScriptDefinition<number> = {
  name: 'cache.unlock',
  lua: UNLOCK_LUA,
  memory(api, keys, args) {
    if (api.get(keys[0]) !== args[0]) return 0;
    api.del(keys[0]);
    return 1;
  },
};

/**
 * A tenant's live shared-layer entries and their bytes. KEYS: tenant index. ARGV: most entries to
 * measure. Returns `[liveEntries, bytesOfMeasured, measured]`: beyond the cap the caller scales the
 * bytes up (an estimate), so one huge tenant cannot make the call slow.
 */
const STATS_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
local bytes = 0
for _, m in ipairs(members) do bytes = bytes + redis.call('STRLEN', m) end
return {live, bytes, #members}`;

export const statsScript: ScriptDefinition<[number, number, number]> = {
  name: 'cache.stats',
  lua: STATS_LUA,
  memory(api, keys, args) {
    const index = readIndex(api, keys[0], nowOf(api));
    const members = Object.keys(index);
    let bytes = 0;
    let measured = 0;
    for (const m of members.slice(0, Number(args[0]))) {
      const v = api.get(m);
      if (v === null) continue;
      bytes += Buffer.byteLength(v);
      measured++;
    }
    return [members.length, bytes, measured];
  },
};
