import type { Routes } from '@angular/router';

/** `/api-keys`: the list (create is a dialog on it) and `/api-keys/:id`, a key's detail. */
export const API_KEYS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./api-key-list').then((m) => m.ApiKeyList) },
  { path: ':id', loadComponent: () => import('./api-key-detail').then((m) => m.ApiKeyDetail) },
];
