import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'koa';
import type { PluginContext } from '../kernel/types';
import { GatewayError } from '../errors/GatewayError';
import { authorizeTenant, roleGrants } from './authorize';
import { ACCESS_CONTROL, PrincipalKey, type Principal } from './index';

/** A plugin context with no AccessControl provider (no tenancy plugin), or with one. */
const pluginCtx = (access?: { authorize: (c: Context, p: string, t: string) => void }) =>
  ({ tryGet: (token: unknown) => (token === ACCESS_CONTROL ? access : undefined) }) as unknown as PluginContext;

const request = (principal?: Partial<Principal>): Context => {
  const c = { state: {} } as unknown as Context;
  if (principal)
    PrincipalKey.set(c, {
      kind: 'api_key',
      subject: 'k',
      tenantId: 'ten_a',
      scopes: ['admin:read', 'admin:write'],
      ...principal,
    } as Principal);
  return c;
};

const status = (fn: () => void): number | 'ok' => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return err.status;
  }
};

describe('authorizeTenant without the tenancy plugin (docs/rbac.md rules on the principal)', () => {
  const ctx = pluginCtx();

  it('401 without a caller; 403 without the admin scope the permission needs', () => {
    assert.equal(
      status(() => authorizeTenant(ctx, request(), 'cache:purge', 'ten_a')),
      401,
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'owner', scopes: ['admin:read'] }), 'cache:purge', 'ten_a')),
      403,
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'owner', scopes: ['admin:read'] }), 'limits:read', 'ten_a')),
      'ok',
    );
  });

  it('404 for another tenant (existence does not leak), unless superadmin', () => {
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'owner' }), 'limits:read', 'ten_b')),
      404,
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ superadmin: true, tenantId: null }), 'limits:write', 'ten_b')),
      'ok',
    );
  });

  it('the role must grant the permission', () => {
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'admin' }), 'cache:purge', 'ten_a')),
      'ok',
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'developer' }), 'limits:write', 'ten_a')),
      403,
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'developer' }), 'limits:read', 'ten_a')),
      'ok',
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({ role: 'viewer' }), 'limits:read', 'ten_a')),
      403,
    );
    assert.equal(
      status(() => authorizeTenant(ctx, request({}), 'limits:read', 'ten_a')),
      403,
      'no role, no access',
    );
    assert.equal(roleGrants('admin', 'tenants:delete'), false);
    assert.equal(roleGrants('owner', 'tenants:delete'), true);
  });

  it('delegates to the tenancy plugin when it is loaded', () => {
    const calls: string[] = [];
    const access = { authorize: (_c: Context, p: string, t: string) => void calls.push(`${p}@${t}`) };
    authorizeTenant(pluginCtx(access), request(), 'cache:purge', 'ten_z');
    assert.deepEqual(calls, ['cache:purge@ten_z']);
  });
});
