import type { Routes } from '@angular/router';

/** `/limits`: the tenant's rate-limit policies within its plan, and each limit's current use. */
export const LIMITS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./limits-page').then((m) => m.LimitsPage) },
];
