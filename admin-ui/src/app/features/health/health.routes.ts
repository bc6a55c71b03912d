import type { Routes } from '@angular/router';

/** `/health`: health checks of the answering instance with latency, installed plugins and the pipeline (platform admins). */
export const HEALTH_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./health-page').then((m) => m.HealthPage) },
];
