import type { Routes } from '@angular/router';

/** `/models`: model aliases, their deployments, prices (and where they came from), breakers and latency. */
export const MODELS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./models-page').then((m) => m.ModelsPage) },
];
