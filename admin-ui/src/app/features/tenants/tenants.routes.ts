import type { Routes } from '@angular/router';

/** `/tenants`: the list (create and edit are dialogs on it). */
export const TENANTS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./tenant-list').then((m) => m.TenantList) },
];
