import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PERMISSIONS, type Principal } from '@aihub/core/plugin-api';
import { decide } from './accessControl';
import { ALL_PERMISSIONS, ROLE_PERMISSIONS, isReadPermission, renderMatrix } from './permissions';

const DOC = path.resolve(__dirname, '../../../docs/rbac.md');
const START = '<!-- rbac-matrix:start (generated from plugins/tenancy/src/permissions.ts) -->';
const END = '<!-- rbac-matrix:end -->';

const p = (extra: Partial<Principal>): Principal => ({
  kind: 'api_key',
  subject: 'key_1',
  tenantId: 'ten_a',
  scopes: ['admin:read', 'admin:write'],
  ...extra,
});

describe('permission matrix', () => {
  it("covers every permission of core's PERMISSIONS", () => {
    for (const perm of PERMISSIONS) assert.ok(ALL_PERMISSIONS.includes(perm), perm);
  });

  it('follows the role rules', () => {
    const tenantPerms = ALL_PERMISSIONS.filter((x) => !['tenants:create', 'users:read', 'users:write'].includes(x));
    assert.deepEqual([...ROLE_PERMISSIONS.owner].sort(), [...tenantPerms].sort(), 'owner: everything in its tenant');
    assert.deepEqual(
      [...ROLE_PERMISSIONS.admin].sort(),
      tenantPerms.filter((x) => x !== 'tenants:delete' && x !== 'members:owner').sort(),
      'admin: everything but deleting the tenant and the owner role',
    );
    for (const role of ['developer', 'viewer'] as const) {
      for (const perm of ROLE_PERMISSIONS[role])
        assert.ok(isReadPermission(perm), `${role} may only read, not ${perm}`);
    }
    for (const perm of ['keys:read', 'usage:read', 'events:read', 'experiments:read', 'limits:read'])
      assert.ok(ROLE_PERMISSIONS.developer.has(perm), perm);
    assert.deepEqual([...ROLE_PERMISSIONS.viewer].sort(), ['events:read', 'teams:read', 'tenants:read', 'usage:read']);
    assert.ok(
      !ROLE_PERMISSIONS.viewer.has('events:delete'),
      "a viewer reads analytics but may not erase a user's events",
    );
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const)
      assert.ok(!ROLE_PERMISSIONS[role].has('tenants:create'));
  });

  it('decides 401, scope 403, 404 for other tenants, role 403, and lets superadmins through', () => {
    assert.equal(decide(undefined, 'tenants:read', 'ten_a'), 'unauthenticated');
    assert.equal(decide(p({ role: 'owner', scopes: ['admin:read'] }), 'teams:write', 'ten_a'), 'scope');
    assert.equal(decide(p({ role: 'owner', scopes: ['admin:write'] }), 'teams:read', 'ten_a'), 'scope');
    assert.equal(decide(p({ role: 'owner' }), 'teams:read', 'ten_b'), 'not_found');
    assert.equal(decide(p({ role: 'owner' }), 'tenants:create', null), 'platform');
    assert.equal(decide(p({ role: 'owner' }), 'users:read', 'ten_a'), 'platform');
    assert.equal(decide(p({ role: 'viewer' }), 'teams:write', 'ten_a'), 'role');
    assert.equal(decide(p({}), 'teams:read', 'ten_a'), 'role');
    assert.equal(decide(p({ role: 'admin' }), 'teams:write', undefined), undefined);
    assert.equal(decide(p({ tenantId: null, role: 'owner' }), 'teams:read', 'ten_a'), 'not_found');
    const su = p({ tenantId: null, superadmin: true });
    for (const perm of ALL_PERMISSIONS) assert.equal(decide(su, perm, 'ten_b'), undefined, perm);
    assert.equal(decide(su, 'tenants:create', null), undefined);
    assert.equal(decide({ ...su, scopes: ['admin:read'] }, 'tenants:create', null), 'scope');
  });

  it('is documented in docs/rbac.md (AIHUB_UPDATE_DOCS=1 regenerates it)', async () => {
    const doc = await readFile(DOC, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    assert.ok(start >= 0 && end > start, `docs/rbac.md must contain the markers ${START} … ${END}`);
    const current = doc.slice(start + START.length, end).trim();
    const expected = renderMatrix();
    if (current !== expected && process.env.AIHUB_UPDATE_DOCS === '1') {
      await writeFile(DOC, `${doc.slice(0, start + START.length)}\n${expected}\n${doc.slice(end)}`);
      return;
    }
    assert.equal(
      current,
      expected,
      'docs/rbac.md is out of date: run the test with AIHUB_UPDATE_DOCS=1 and commit the result',
    );
  });
});
