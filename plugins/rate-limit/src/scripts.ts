import type { MemoryScriptApi, ScriptDefinition } from '@aihub/core/plugin-api';

/**
 * The limiter's atomic scripts: Lua for Redis (one EVALSHA each) and a JS twin for the in-memory
 * store (atomic because it runs synchronously). Why not rate-limiter-flexible: see README
 * "Why one script" — it needs one round trip per dimension, consumes points of dimensions that passed
 * when another one rejects, and cannot tell reconciliation which window a reservation belongs to.
 *
 * Windows are fixed and aligned to the clock of the store (Redis TIME, so every gateway instance
 * agrees), `floor(now / windowMs)`. The counter keys carry the window number, which lets the settle
 * script refund or charge exactly the window the reservation was made in (never a later one).
 *
 * Concurrency uses leases: a sorted set of `member → expiry`. Expired members are dropped before
 * counting, so the leases of a crashed instance disappear after `leaseMs` without anyone releasing
 * them; live requests renew theirs (see LeaseKeeper).
 */

/** Admission result: `[status, requestsUsed, tokensUsed, concurrentUsed, resetMs, window]`. */
export type AdmitReply = [number, number, number, number, number, number];

/** Status codes of {@link AdmitReply}: allowed, or which dimension refused. */
export const ADMIT_OK = 0;
export const ADMIT_REQUESTS = 1;
export const ADMIT_TOKENS = 2;
export const ADMIT_CONCURRENCY = 3;

/**
 * KEYS: requests base, tokens base, concurrency set.
 * ARGV: windowMs, requestLimit (0 = off), tokenLimit (0 = off), tokenCost, concurrencyLimit (0 = off),
 * lease member, leaseMs.
 * Checks every dimension first and consumes only when all pass (a refusal costs nothing).
 */
const ADMIT_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local win = math.floor(now / windowMs)
local reset = (win + 1) * windowMs - now
local rpmLimit = tonumber(ARGV[2])
local tpmLimit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local concLimit = tonumber(ARGV[5])
local rk = KEYS[1] .. ':' .. win
local tk = KEYS[2] .. ':' .. win
local rpm = 0
local tpm = 0
local conc = 0
if rpmLimit > 0 then
  rpm = tonumber(redis.call('GET', rk) or '0')
  if rpm >= rpmLimit then return {1, rpm, 0, 0, reset, win} end
end
if tpmLimit > 0 then
  tpm = tonumber(redis.call('GET', tk) or '0')
  if tpm + cost > tpmLimit then return {2, rpm, tpm, 0, reset, win} end
end
if concLimit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  conc = redis.call('ZCARD', KEYS[3])
  if conc >= concLimit then return {3, rpm, tpm, conc, reset, win} end
end
local keep = reset + 1000
if rpmLimit > 0 then
  rpm = redis.call('INCR', rk)
  if rpm == 1 then redis.call('PEXPIRE', rk, keep) end
end
if tpmLimit > 0 and cost > 0 then
  tpm = redis.call('INCRBY', tk, cost)
  redis.call('PEXPIRE', tk, keep)
end
if concLimit > 0 then
  local lease = tonumber(ARGV[7])
  redis.call('ZADD', KEYS[3], now + lease, ARGV[6])
  redis.call('PEXPIRE', KEYS[3], lease)
  conc = conc + 1
end
return {0, rpm, tpm, conc, reset, win}`;

/** The memory twin keeps a lease set as JSON `{member: expiry}` (the memory API has no sorted sets). */
function readLeases(api: MemoryScriptApi, key: string, now: number): Record<string, number> {
  const raw = api.get(key);
  const leases: Record<string, number> = raw ? (JSON.parse(raw) as Record<string, number>) : {};
  for (const member in leases) if (leases[member] <= now) delete leases[member];
  return leases;
}

function countOf(api: MemoryScriptApi, key: string): number {
  const raw = api.get(key);
  return raw === null ? 0 : Number(raw);
}

export const admitScript: ScriptDefinition<AdmitReply> = {
  name: 'rate-limit.admit',
  lua: ADMIT_LUA,
  memory(api, keys, args) {
    const now = api.now();
    const windowMs = Number(args[0]);
    const win = Math.floor(now / windowMs);
    const reset = (win + 1) * windowMs - now;
    const rpmLimit = Number(args[1]);
    const tpmLimit = Number(args[2]);
    const cost = Number(args[3]);
    const concLimit = Number(args[4]);
    const rk = `${keys[0]}:${win}`;
    const tk = `${keys[1]}:${win}`;
    let rpm = 0;
    let tpm = 0;
    let conc = 0;
    if (rpmLimit > 0) {
      rpm = countOf(api, rk);
      if (rpm >= rpmLimit) return [ADMIT_REQUESTS, rpm, 0, 0, reset, win];
    }
    if (tpmLimit > 0) {
      tpm = countOf(api, tk);
      if (tpm + cost > tpmLimit) return [ADMIT_TOKENS, rpm, tpm, 0, reset, win];
    }
    let leases: Record<string, number> | undefined;
    if (concLimit > 0) {
      leases = readLeases(api, keys[2], now);
      conc = Object.keys(leases).length;
      if (conc >= concLimit) return [ADMIT_CONCURRENCY, rpm, tpm, conc, reset, win];
    }
    const keep = reset + 1000;
    if (rpmLimit > 0) {
      rpm = api.incrBy(rk, 1);
      if (rpm === 1) api.pexpire(rk, keep);
    }
    if (tpmLimit > 0 && cost > 0) {
      tpm = api.incrBy(tk, cost);
      api.pexpire(tk, keep);
    }
    if (leases) {
      const lease = Number(args[6]);
      leases[args[5]] = now + lease;
      api.set(keys[2], JSON.stringify(leases), lease);
      conc++;
    }
    return [ADMIT_OK, rpm, tpm, conc, reset, win];
  },
};

/**
 * After responses, batched: corrects token counters of reservation windows (refund when negative) if
 * the window still exists, and releases concurrency leases. One call settles many requests.
 * KEYS: n token window keys, then m concurrency sets. ARGV: n, the n deltas, then the m members.
 */
const SETTLE_LUA = `local n = tonumber(ARGV[1])
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[i + 1]) end
end
for i = n + 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[i + 1]) end
return #KEYS`;

export const settleScript: ScriptDefinition<number> = {
  name: 'rate-limit.settle',
  lua: SETTLE_LUA,
  memory(api, keys, args) {
    const n = Number(args[0]);
    for (let i = 0; i < n; i++) {
      if (api.get(keys[i]) === null) continue;
      const ttl = api.pttl(keys[i]);
      api.incrBy(keys[i], Number(args[i + 1]));
      if (ttl > 0) api.pexpire(keys[i], ttl);
    }
    for (let i = n; i < keys.length; i++) {
      const member = args[i + 1];
      const leases = readLeases(api, keys[i], api.now());
      if (!(member in leases)) continue;
      delete leases[member];
      const ttl = api.pttl(keys[i]);
      if (Object.keys(leases).length === 0) api.del(keys[i]);
      else api.set(keys[i], JSON.stringify(leases), ttl > 0 ? ttl : undefined);
    }
    return keys.length;
  },
};

/**
 * Extends a live request's lease (only if it still exists: XX) so long streams keep their slot.
 * KEYS: concurrency set. ARGV: member, leaseMs.
 */
const RENEW_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n`;

export const renewScript: ScriptDefinition<number> = {
  name: 'rate-limit.renew',
  lua: RENEW_LUA,
  memory(api, keys, args) {
    const now = api.now();
    const lease = Number(args[1]);
    const leases = readLeases(api, keys[0], now);
    if (!(args[0] in leases)) return 0;
    leases[args[0]] = now + lease;
    api.set(keys[0], JSON.stringify(leases), lease);
    return 1;
  },
};

/** Peek result: `[requestsUsed, tokensUsed, concurrentUsed, resetMs]` of the current window. */
export type PeekReply = [number, number, number, number];

/**
 * Reads (never writes) one subject's counters in the current window, for the admin API.
 * KEYS: requests base, tokens base, concurrency set. ARGV: windowMs.
 */
const PEEK_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local win = math.floor(now / windowMs)
local rpm = tonumber(redis.call('GET', KEYS[1] .. ':' .. win) or '0')
local tpm = tonumber(redis.call('GET', KEYS[2] .. ':' .. win) or '0')
local conc = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
return {rpm, tpm, conc, (win + 1) * windowMs - now}`;

export const peekScript: ScriptDefinition<PeekReply> = {
  name: 'rate-limit.peek',
  lua: PEEK_LUA,
  memory(api, keys, args) {
    const now = api.now();
    const windowMs = Number(args[0]);
    const win = Math.floor(now / windowMs);
    return [
      countOf(api, `${keys[0]}:${win}`),
      countOf(api, `${keys[1]}:${win}`),
      Object.keys(readLeases(api, keys[2], now)).length,
      (win + 1) * windowMs - now,
    ];
  },
};
