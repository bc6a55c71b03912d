import type { Routes } from '@angular/router';

/** `/experiments`: the tenant's A/B experiments, per-variant figures and their significance. */
export const EXPERIMENTS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./experiments-page').then((m) => m.ExperimentsPage) },
];
