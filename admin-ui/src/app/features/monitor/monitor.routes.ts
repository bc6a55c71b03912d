import type { Routes } from '@angular/router';

/** `/monitor`: the live monitoring wall, cluster-wide (platform admins). */
export const MONITOR_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./monitor-page').then((m) => m.MonitorPage) },
];
