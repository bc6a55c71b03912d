import type { Routes } from '@angular/router';

/** `/invitations`: the tenant's invitations by status (in the URL), revoke. */
export const INVITATIONS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./invitation-list').then((m) => m.InvitationList) },
];
