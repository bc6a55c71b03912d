import type { Routes } from '@angular/router';

/** `/usage`: totals, the daily chart, breakdowns, CSV export and invoices (all state in the URL). */
export const USAGE_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./usage-page').then((m) => m.UsagePage) },
];
