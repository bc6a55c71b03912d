/**
 * One entry of the side navigation. Shown only when the caller holds `permission` (from /me), or is
 * a superadmin for `platform` entries; the server still checks every call.
 * To add a feature's entry: append it here (keep the group order), with its lazy route in app.routes.ts.
 */
export interface NavItem {
  /** Route path under the shell, e.g. 'tenants'. */
  path: string;
  /** Transloco key of the label (in the feature's scope or `nav.*` of the core scope). */
  label: string;
  /** The permission that makes the entry visible; none = every signed-in user. */
  permission?: string;
  /** Platform entries: superadmins only. */
  platform?: boolean;
  group: 'tenant' | 'platform' | 'me';
}

export const NAV_ITEMS: NavItem[] = [
  { path: 'home', label: 'nav.home', group: 'tenant' },
  { path: 'overview', label: 'nav.overview', permission: 'usage:read', group: 'tenant' },
  { path: 'playground', label: 'nav.playground', permission: 'keys:read', group: 'tenant' },
  { path: 'members', label: 'nav.members', permission: 'members:read', group: 'tenant' },
  { path: 'teams', label: 'nav.teams', permission: 'teams:read', group: 'tenant' },
  { path: 'invitations', label: 'nav.invitations', permission: 'members:write', group: 'tenant' },
  { path: 'api-keys', label: 'nav.apiKeys', permission: 'keys:read', group: 'tenant' },
  { path: 'oauth-clients', label: 'nav.oauthClients', permission: 'oauth-clients:read', group: 'tenant' },
  { path: 'usage', label: 'nav.usage', permission: 'usage:read', group: 'tenant' },
  { path: 'requests', label: 'nav.requests', permission: 'usage:read', group: 'tenant' },
  { path: 'budgets', label: 'nav.budgets', permission: 'usage:read', group: 'tenant' },
  { path: 'limits', label: 'nav.limits', permission: 'limits:read', group: 'tenant' },
  { path: 'cache', label: 'nav.cache', permission: 'usage:read', group: 'tenant' },
  { path: 'models', label: 'nav.models', permission: 'experiments:read', group: 'tenant' },
  { path: 'experiments', label: 'nav.experiments', permission: 'experiments:read', group: 'tenant' },
  { path: 'behavior', label: 'nav.behavior', permission: 'events:read', group: 'tenant' },
  { path: 'audit', label: 'nav.audit', permission: 'audit:read', group: 'tenant' },
  { path: 'tenants', label: 'nav.tenants', platform: true, group: 'platform' },
  { path: 'users', label: 'nav.users', platform: true, group: 'platform' },
  { path: 'health', label: 'nav.health', platform: true, group: 'platform' },
  { path: 'monitor', label: 'nav.monitor', platform: true, group: 'platform' },
  { path: 'ops', label: 'nav.ops', platform: true, group: 'platform' },
  { path: 'account', label: 'nav.account', group: 'me' },
];

/** The entries a caller may use, in order. */
export function visibleNav(
  items: NavItem[],
  caller: { superadmin: boolean; permissions: ReadonlySet<string> },
): NavItem[] {
  return items.filter((item) => {
    if (item.platform) return caller.superadmin;
    if (!item.permission) return true;
    return caller.superadmin || caller.permissions.has(item.permission);
  });
}
