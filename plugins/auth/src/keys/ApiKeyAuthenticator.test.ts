import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { test } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import { createMetrics } from '@aihub/core/testing';
import { generateApiKey } from '../keyFormat';
import { createAuthMetrics } from '../metrics';
import type { ApiKeyRow } from '../models';
import { ServerSecrets } from '../secrets';
import { ApiKeyAuthenticator, sameDigest } from './ApiKeyAuthenticator';
import type { ApiKeyStore } from './ApiKeyStore';

const secrets = new ServerSecrets('s'.repeat(40), 'config');

const meter = () => createMetrics({ processMetrics: false }).meterFor('auth');

function row(id: string, secret: string, extra: Partial<ApiKeyRow> = {}): ApiKeyRow {
  const at = new Date();
  return {
    id,
    tenant_id: 'ten_1',
    name: 'k',
    user_id: null,
    team_id: null,
    secret_hash: secrets.hmac(secret).toString('hex'),
    scopes: '["ai:invoke"]',
    role: 'developer',
    superadmin: false,
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    limits: null,
    budgets: null,
    created_by: null,
    created_at: at,
    updated_at: at,
    ...extra,
  };
}

function setup(rows: Map<string, ApiKeyRow>, delayMs = 0) {
  const calls = { find: 0, touched: [] as Map<string, number>[] };
  const store = {
    async findForAuth(id: string) {
      calls.find++;
      const found = rows.get(id) ?? null;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return found;
    },
    async touchLastUsed(batch: Map<string, number>) {
      calls.touched.push(batch);
    },
    async changedSince() {
      return [];
    },
  } as unknown as ApiKeyStore;
  const published: string[] = [];
  const kv = {
    publish: async (_c: string, m: string) => void published.push(m),
    subscribe: async () => async () => {},
  } as never;
  const auth = new ApiKeyAuthenticator(store, secrets, kv, createAuthMetrics(meter()), {
    cacheMax: 100,
    cacheTtlMs: 30_000,
    negativeCacheTtlMs: 10_000,
    lastUsedIntervalMs: 60_000,
    lastUsedFlushMs: 1000,
  });
  return { auth, calls, published };
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return 'ok';
};

test('cache hit is synchronous and shares one frozen Principal', async () => {
  const k = generateApiKey();
  const { auth, calls } = setup(new Map([[k.id, row(k.id, k.secret)]]));
  const first = await auth.authenticate(k.key);
  const second = auth.authenticate(k.key);
  assert.ok(!(second instanceof Promise), 'a hit returns without a promise');
  assert.equal(second, first);
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first.scopes));
  assert.equal(calls.find, 1);
  assert.equal(
    code(() => auth.authenticate(`ahk_${k.id}_${'x'.repeat(43)}`)),
    'invalid_api_key',
    'wrong secret on a cached key',
  );
});

test('concurrent misses share one read; unknown ids are cached negatively', async () => {
  const k = generateApiKey();
  const { auth, calls } = setup(new Map([[k.id, row(k.id, k.secret)]]), 20);
  await Promise.all([auth.authenticate(k.key), auth.authenticate(k.key), auth.authenticate(k.key)]);
  assert.equal(calls.find, 1);
  const unknown = generateApiKey().key;
  for (let i = 0; i < 3; i++)
    await assert.rejects(
      async () => auth.authenticate(unknown),
      (e: GatewayError) => e.code === 'invalid_api_key',
    );
  assert.equal(calls.find, 2, 'one read for the unknown id, then the negative cache');
});

test('a revocation during a read is not overwritten by the stale row', async () => {
  const k = generateApiKey();
  const rows = new Map([[k.id, row(k.id, k.secret)]]);
  const { auth, calls } = setup(rows, 30);
  const pending = auth.authenticate(k.key);
  rows.set(k.id, row(k.id, k.secret, { revoked_at: new Date() }));
  auth.evict(k.id);
  await pending; // the in-flight read saw the old row and answers it, but must not cache it
  await assert.rejects(
    async () => auth.authenticate(k.key),
    (e: GatewayError) => e.code === 'api_key_revoked',
  );
  assert.equal(calls.find, 2);
});

test('expired and revoked keys are told apart only with the right secret; last_used is batched', async () => {
  const expired = generateApiKey();
  const revoked = generateApiKey();
  const used = generateApiKey();
  const { auth, calls, published } = setup(
    new Map([
      [expired.id, row(expired.id, expired.secret, { expires_at: new Date(Date.now() - 1000) })],
      [revoked.id, row(revoked.id, revoked.secret, { revoked_at: new Date() })],
      [used.id, row(used.id, used.secret)],
    ]),
  );
  await assert.rejects(
    async () => auth.authenticate(expired.key),
    (e: GatewayError) => e.code === 'api_key_expired',
  );
  await assert.rejects(
    async () => auth.authenticate(revoked.key),
    (e: GatewayError) => e.code === 'api_key_revoked',
  );
  await assert.rejects(
    async () => auth.authenticate(`ahk_${revoked.id}_${'y'.repeat(43)}`),
    (e: GatewayError) => e.code === 'invalid_api_key',
  );
  for (let i = 0; i < 5; i++) await auth.authenticate(used.key);
  await auth.flushLastUsed();
  assert.equal(calls.touched.length, 1);
  assert.deepEqual([...calls.touched[0].keys()], [used.id], 'one stamp for five uses');
  await auth.announce(used.id);
  assert.deepEqual(published, [used.id]);
});

test('a remembered secret never lets another secret for the same key id in', async () => {
  const k = generateApiKey();
  const { auth } = setup(new Map([[k.id, row(k.id, k.secret)]]));
  assert.equal((await auth.authenticate(k.key)).keyId, k.id);
  // Same id, other secrets (a flipped last character, a different one of the same length): the
  // memo of the verified secret must not match them, and the HMAC must still reject them.
  const flipped = k.key.slice(0, -1) + (k.key.endsWith('a') ? 'b' : 'a');
  const other = k.key.slice(0, k.key.length - k.secret.length) + generateApiKey().secret;
  for (const wrong of [flipped, other])
    assert.equal(
      code(() => auth.authenticate(wrong)),
      'invalid_api_key',
      wrong,
    );
  // The right secret still passes afterwards, synchronously from the cache.
  const again = auth.authenticate(k.key);
  assert.ok(!(again instanceof Promise));
  assert.equal(again.keyId, k.id);
});

test('sameDigest: equal only for the same 32 bytes, wherever two digests differ', () => {
  const d = (text: string) => hash('sha256', text, 'binary');
  const a = d('one');
  assert.equal(a.length, 32);
  assert.equal(sameDigest(a, d('one')), true);
  assert.equal(sameDigest(a, d('two')), false);
  // One byte changed at the first, a middle and the last position (bytes ≥ 0x80 included).
  for (const at of [0, 16, 31])
    for (const delta of [1, 0x80]) {
      const changed = a.slice(0, at) + String.fromCharCode(a.charCodeAt(at) ^ delta) + a.slice(at + 1);
      assert.equal(sameDigest(a, changed), false, `byte ${at} ^ ${delta}`);
    }
  assert.equal(sameDigest(a, a.slice(0, 31)), false);
  assert.equal(sameDigest('', ''), true);
});
