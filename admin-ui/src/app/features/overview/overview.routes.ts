import type { Routes } from '@angular/router';

/** `/overview`: the tenant's requests, errors, latency, spend against budget and top lists for a UTC range. */
export const OVERVIEW_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./overview-page').then((m) => m.OverviewPage) },
];
