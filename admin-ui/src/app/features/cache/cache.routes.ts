import type { Routes } from '@angular/router';

/** `/cache`: the tenant's hit ratios, entries and bytes, and purges. */
export const CACHE_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./cache-page').then((m) => m.CachePage) },
];
