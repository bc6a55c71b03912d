import type { Routes } from '@angular/router';
import { provideTranslocoScope } from '@jsverse/transloco';
import { authGuard, requirePermission, requireSuperadmin } from './core/auth/auth.guard';
import { Shell } from './layout/shell';

/**
 * Every feature is a lazy route under the shell, with its own translation scope
 * (public/i18n/<feature>/<lang>.json) and the guard of the permission its nav entry needs
 * (core/nav/nav-items.ts). See admin-ui/README.md, "Conventions".
 */
export const routes: Routes = [
  { path: 'callback', loadComponent: () => import('./features/auth/callback').then((m) => m.Callback) },
  { path: 'signed-out', loadComponent: () => import('./features/auth/signed-out').then((m) => m.SignedOut) },
  // The public invitation page: the invited person has no session yet, so no shell and no auth guard.
  {
    path: 'invite',
    loadComponent: () => import('./features/invite/invite-accept').then((m) => m.InviteAccept),
    providers: [provideTranslocoScope('invite')],
  },
  {
    path: '',
    component: Shell,
    canActivate: [authGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'home' },
      {
        path: 'home',
        loadComponent: () => import('./features/home/home').then((m) => m.Home),
        providers: [provideTranslocoScope('home')],
      },
      {
        path: 'account',
        loadComponent: () => import('./features/account/account').then((m) => m.Account),
        providers: [provideTranslocoScope('account')],
      },
      {
        path: 'audit',
        canMatch: [requirePermission('audit:read')],
        loadComponent: () => import('./features/audit/audit-list').then((m) => m.AuditList),
        providers: [provideTranslocoScope('audit')],
      },
      {
        path: 'tenants',
        canMatch: [requireSuperadmin],
        loadChildren: () => import('./features/tenants/tenants.routes').then((m) => m.TENANTS_ROUTES),
        providers: [provideTranslocoScope('tenants')],
      },
      {
        path: 'users',
        canMatch: [requireSuperadmin],
        loadComponent: () => import('./features/users/user-list').then((m) => m.UserList),
        providers: [provideTranslocoScope('users')],
      },
      // H: members, teams, invitations, api-keys, oauth-clients — one lazy route each, same pattern.
      {
        path: 'members',
        canMatch: [requirePermission('members:read')],
        loadChildren: () => import('./features/members/members.routes').then((m) => m.MEMBERS_ROUTES),
        providers: [provideTranslocoScope('members')],
      },
      {
        path: 'invitations',
        canMatch: [requirePermission('members:write')],
        loadChildren: () => import('./features/invitations/invitations.routes').then((m) => m.INVITATIONS_ROUTES),
        providers: [provideTranslocoScope('invitations')],
      },
      {
        path: 'api-keys',
        canMatch: [requirePermission('keys:read')],
        loadChildren: () => import('./features/api-keys/api-keys.routes').then((m) => m.API_KEYS_ROUTES),
        providers: [provideTranslocoScope('api-keys')],
      },
      {
        path: 'oauth-clients',
        canMatch: [requirePermission('oauth-clients:read')],
        loadChildren: () => import('./features/oauth-clients/oauth-clients.routes').then((m) => m.OAUTH_CLIENTS_ROUTES),
        providers: [provideTranslocoScope('oauth-clients')],
      },
      {
        path: 'teams',
        canMatch: [requirePermission('teams:read')],
        loadChildren: () => import('./features/teams/teams.routes').then((m) => m.TEAMS_ROUTES),
        providers: [provideTranslocoScope('teams')],
      },
      // I: usage & spend, budgets & alerts, rate limits, cache.
      {
        path: 'usage',
        canMatch: [requirePermission('usage:read')],
        loadChildren: () => import('./features/usage/usage.routes').then((m) => m.USAGE_ROUTES),
        providers: [provideTranslocoScope('usage')],
      },
      {
        path: 'requests',
        canMatch: [requirePermission('usage:read')],
        loadComponent: () => import('./features/requests/requests-page').then((m) => m.RequestsPage),
        providers: [provideTranslocoScope('requests')],
      },
      {
        path: 'budgets',
        canMatch: [requirePermission('usage:read')],
        loadChildren: () => import('./features/budgets/budgets.routes').then((m) => m.BUDGETS_ROUTES),
        providers: [provideTranslocoScope('budgets')],
      },
      {
        path: 'limits',
        canMatch: [requirePermission('limits:read')],
        loadChildren: () => import('./features/limits/limits.routes').then((m) => m.LIMITS_ROUTES),
        providers: [provideTranslocoScope('limits')],
      },
      {
        path: 'cache',
        canMatch: [requirePermission('usage:read')],
        loadChildren: () => import('./features/cache/cache.routes').then((m) => m.CACHE_ROUTES),
        providers: [provideTranslocoScope('cache')],
      },
      // L: overview (tenant dashboard), playground, health & plugins.
      {
        path: 'overview',
        canMatch: [requirePermission('usage:read')],
        loadChildren: () => import('./features/overview/overview.routes').then((m) => m.OVERVIEW_ROUTES),
        providers: [provideTranslocoScope('overview')],
      },
      {
        path: 'playground',
        // Developer and up (keys:read): the chat itself is authorized by the API key the user pastes.
        canMatch: [requirePermission('keys:read')],
        loadChildren: () => import('./features/playground/playground.routes').then((m) => m.PLAYGROUND_ROUTES),
        providers: [provideTranslocoScope('playground')],
      },
      {
        path: 'health',
        canMatch: [requireSuperadmin],
        loadChildren: () => import('./features/health/health.routes').then((m) => m.HEALTH_ROUTES),
        providers: [provideTranslocoScope('health')],
      },
      // C: the live monitoring wall (cluster-wide, platform admins).
      {
        path: 'monitor',
        canMatch: [requireSuperadmin],
        loadChildren: () => import('./features/monitor/monitor.routes').then((m) => m.MONITOR_ROUTES),
        providers: [provideTranslocoScope('monitor')],
      },
      {
        path: 'ops',
        canMatch: [requireSuperadmin],
        loadChildren: () => import('./features/ops/ops.routes').then((m) => m.OPS_ROUTES),
        providers: [provideTranslocoScope('ops')],
      },
      // M: models & providers, routing & experiments, request explorer.
      {
        path: 'models',
        canMatch: [requirePermission('experiments:read')],
        loadChildren: () => import('./features/models/models.routes').then((m) => m.MODELS_ROUTES),
        providers: [provideTranslocoScope('models')],
      },
      {
        path: 'experiments',
        canMatch: [requirePermission('experiments:read')],
        loadChildren: () => import('./features/experiments/experiments.routes').then((m) => m.EXPERIMENTS_ROUTES),
        providers: [provideTranslocoScope('experiments')],
      },
      // D: behavior analytics (event trends, funnels, retention, a user's timeline).
      {
        path: 'behavior',
        canMatch: [requirePermission('events:read')],
        loadChildren: () => import('./features/behavior/behavior.routes').then((m) => m.BEHAVIOR_ROUTES),
        providers: [provideTranslocoScope('behavior')],
      },
      { path: '**', loadComponent: () => import('./features/home/not-found').then((m) => m.NotFound) },
    ],
  },
];
