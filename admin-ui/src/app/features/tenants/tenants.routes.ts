import type { Routes } from '@angular/router';

export const TENANTS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./tenant-list').then((m) => m.TenantList) },
];
