import type { Routes } from '@angular/router';

/** `/ops/*` (platform admins): automation rules, the decision log, and the routing control in effect. */
export const OPS_ROUTES: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'rules' },
  { path: 'rules', loadComponent: () => import('./ops-rules').then((m) => m.OpsRules) },
  { path: 'events', loadComponent: () => import('./ops-events').then((m) => m.OpsEvents) },
  { path: 'state', loadComponent: () => import('./ops-state').then((m) => m.OpsStatePage) },
];
