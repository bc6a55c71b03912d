import type { Routes } from '@angular/router';

/** `/oauth-clients`: the list (register and edit are dialogs on it). */
export const OAUTH_CLIENTS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./oauth-client-list').then((m) => m.OAuthClientList) },
];
