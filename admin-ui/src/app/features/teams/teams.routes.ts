import type { Routes } from '@angular/router';

/** `/teams`: the list (create inline) and `/teams/:id`, the team's members. */
export const TEAMS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./team-list').then((m) => m.TeamList) },
  { path: ':id', loadComponent: () => import('./team-detail').then((m) => m.TeamDetail) },
];
