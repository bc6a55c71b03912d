import { NAV_ITEMS, visibleNav } from './nav-items';

const paths = (superadmin: boolean, permissions: string[]) =>
  visibleNav(NAV_ITEMS, { superadmin, permissions: new Set(permissions) }).map((i) => i.path);

describe('visibleNav', () => {
  it('a viewer sees only entries their read permissions allow', () => {
    const viewer = ['tenants:read', 'teams:read', 'usage:read'];
    const seen = paths(false, viewer);
    expect(seen).toEqual(expect.arrayContaining(['home', 'teams', 'account']));
    for (const hidden of ['members', 'invitations', 'api-keys', 'oauth-clients', 'audit', 'tenants', 'users'])
      expect(seen).not.toContain(hidden);
    // Every entry shown is one without a permission, or one whose permission the viewer holds.
    for (const item of NAV_ITEMS.filter((i) => seen.includes(i.path)))
      expect(!item.platform && (!item.permission || viewer.includes(item.permission))).toBe(true);
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
