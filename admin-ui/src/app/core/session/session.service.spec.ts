import { TestBed } from '@angular/core/testing';
import { ApiClient } from '../api/api-client';
import { AuthService } from '../auth/auth.service';
import { SessionService } from './session.service';

function me(superadmin: boolean) {
  return {
    principal: {
      kind: 'session',
      subject: 'usr_1',
      tenant_id: 'ten_a',
      role: superadmin ? 'owner' : 'admin',
      superadmin,
      scopes: ['admin:read'],
      user_id: 'usr_1',
    },
    tenant: { id: 'ten_a', slug: 'a', name: 'A', status: 'active', plan: 'free' },
    permissions: ['audit:read'],
    user: { id: 'usr_1', email: 'u@example.test', superadmin, last_login_at: null, created_at: '2026-01-01T00:00:00Z' },
    memberships: [
      { tenant_id: 'ten_a', slug: 'a', name: 'A', status: 'active', role: 'admin', team_id: null },
      { tenant_id: 'ten_b', slug: 'b', name: 'B', status: 'active', role: 'viewer', team_id: null },
    ],
  };
}

describe('SessionService', () => {
  let signIn: ReturnType<typeof vi.fn>;
  let calls: string[];

  function setup(superadmin: boolean): SessionService {
    sessionStorage.clear();
    signIn = vi.fn(async () => undefined);
    calls = [];
    const client = {
      GET: (path: string) => {
        calls.push(path);
        return path === '/admin/v1/me'
          ? me(superadmin)
          : { data: [{ id: 'ten_c', slug: 'c', name: 'C' }], next_cursor: null };
      },
    };
    TestBed.configureTestingModule({
      providers: [
        { provide: AuthService, useValue: { signIn, refresh: async () => true } },
        { provide: ApiClient, useValue: { client, call: async (v: unknown) => v } },
      ],
    });
    return TestBed.inject(SessionService);
  }

  it('a member of several tenants switches by signing in to the other tenant', async () => {
    const session = setup(false);
    await session.load();
    expect(session.tenants().map((t) => t.id)).toEqual(['ten_a', 'ten_b']);
    expect(calls).toEqual(['/admin/v1/me']);
    await session.switchTenant('ten_b', '/home');
    expect(signIn).toHaveBeenCalledWith('/home', { tenant: 'ten_b' });
    expect(session.tenantId()).toBe('ten_a');
  });

  it('a superadmin switches in place, to any tenant', async () => {
    const session = setup(true);
    await session.load();
    expect(session.tenants().map((t) => t.id)).toEqual(['ten_a', 'ten_b', 'ten_c']);
    await session.switchTenant('ten_c');
    expect(signIn).not.toHaveBeenCalled();
    expect(session.tenantId()).toBe('ten_c');
    expect(session.can('anything:write')).toBe(true);
    expect(session.role()).toBe('superadmin');
  });
});
