import type { Routes } from '@angular/router';

/** `/budgets`: tenant, team and key budgets with their spend, and the alert history. */
export const BUDGETS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./budgets-page').then((m) => m.BudgetsPage) },
];
