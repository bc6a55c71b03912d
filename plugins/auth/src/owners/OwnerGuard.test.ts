import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Principal } from '@aihub/core/plugin-api';
import type { OwnerState } from '@aihub/plugin-tenancy';
import type { AuthMetrics } from '../metrics';
import { OwnerGuard, effective } from './OwnerGuard';

const key = (over: Partial<Principal> = {}): Principal =>
  Object.freeze({
    kind: 'api_key',
    subject: 'k1',
    keyId: 'k1',
    tenantId: 'ten_a',
    userId: 'usr_1',
    scopes: ['admin:write'],
    role: 'admin',
    ...over,
  }) as Principal;
const state = (over: Partial<OwnerState> = {}): OwnerState => ({
  status: 'active',
  superadmin: false,
  roles: { ten_a: 'admin' },
  ...over,
});
const metrics = { ownerRefused: { inc: () => {} } } as unknown as AuthMetrics;

test('a credential never exceeds its owner', () => {
  const p = key();
  assert.equal(effective(state(), p), p, 'unchanged: the same frozen object, no allocation');
  assert.equal(
    (effective(state({ roles: { ten_a: 'viewer' } }), p) as Principal).role,
    'viewer',
    'capped at the demoted role',
  );
  assert.equal(
    (effective(state({ roles: { ten_a: 'owner' } }), p) as Principal).role,
    'admin',
    'never raised above the key',
  );
  assert.equal(effective(null, p), 'removed');
  assert.equal(effective(state({ status: 'disabled' }), p), 'disabled');
  assert.equal(effective(state({ roles: {} }), p), 'not_member');
  const root = key({ superadmin: true, role: 'owner' });
  assert.equal(effective(state({ superadmin: true, roles: {} }), root), root, 'a superadmin needs no membership');
  const demoted = effective(state({ superadmin: false, roles: { ten_a: 'developer' } }), root) as Principal;
  assert.deepEqual(
    [demoted.superadmin, demoted.role],
    [undefined, 'developer'],
    'superadmin only while the flag holds',
  );
  assert.equal(effective(state({ superadmin: false, roles: {} }), root), 'not_member');
});

test('owner state is cached, single-flighted, evicted on change, and a read racing an eviction is not cached', async () => {
  let reads = 0;
  let current: OwnerState | undefined = state();
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  const guard = new OwnerGuard(
    async () => {
      reads++;
      const snapshot = current;
      if (gate) await gate;
      return snapshot;
    },
    metrics,
    { ttlMs: 60_000, max: 100 },
  );
  const p = key();
  await Promise.all([guard.apply(p), guard.apply(p), guard.apply(p)]);
  assert.equal(reads, 1, 'one read for concurrent misses');
  assert.equal(guard.apply(p), p, 'a hit is synchronous');
  current = undefined;
  guard.evict('usr_1');
  await assert.rejects(
    async () => guard.apply(p),
    (e: { code?: string }) => e.code === 'credential_owner_removed',
  );
  // A read in flight when the change is announced must not be cached.
  current = state();
  guard.evict('usr_1');
  gate = new Promise((r) => (release = r));
  const racing = guard.apply(p);
  current = state({ status: 'disabled' });
  guard.evict('usr_1');
  release();
  assert.equal(await racing, p, 'the racing request itself got the state it read');
  gate = undefined;
  await assert.rejects(
    async () => guard.apply(p),
    (e: { code?: string }) => e.code === 'credential_owner_disabled',
  );
  assert.equal(
    (guard.apply(key({ userId: undefined })) as Principal).role,
    'admin',
    'keys without a user are not checked',
  );
});
