import type { Routes } from '@angular/router';

/** `/behavior/*`: event trends, the funnel builder, retention cohorts and a user's timeline (state in the URL). */
export const BEHAVIOR_ROUTES: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'trends' },
  { path: 'trends', loadComponent: () => import('./trends-page').then((m) => m.TrendsPage) },
  { path: 'funnels', loadComponent: () => import('./funnel-page').then((m) => m.FunnelPage) },
  { path: 'retention', loadComponent: () => import('./retention-page').then((m) => m.RetentionPage) },
  { path: 'users', loadComponent: () => import('./user-page').then((m) => m.UserPage) },
];
