import { NAV_ITEMS, visibleNav } from './nav-items';

const paths = (superadmin: boolean, permissions: string[]) => visibleNav(NAV_ITEMS, { superadmin, permissions: new Set(permissions) }).map((i) => i.path);

describe('visibleNav', () => {
  it('a viewer sees the overview, teams and the account only', () => {
    expect(paths(false, ['tenants:read', 'teams:read', 'usage:read'])).toEqual(['home', 'teams', 'account']);
  });

  it('an admin sees the tenant screens but not the platform ones', () => {
    const admin = ['members:read', 'members:write', 'teams:read', 'keys:read', 'oauth-clients:read', 'audit:read'];
    const seen = paths(false, admin);
    expect(seen).toEqual(expect.arrayContaining(['members', 'invitations', 'api-keys', 'oauth-clients', 'audit']));
    expect(seen).not.toContain('tenants');
    expect(seen).not.toContain('users');
  });

  it('a superadmin sees everything, platform entries included', () => {
    expect(paths(true, [])).toEqual(NAV_ITEMS.map((i) => i.path));
  });
});
