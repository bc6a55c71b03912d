import type { Routes } from '@angular/router';

/** `/playground`: send a chat with one of the tenant's API keys, streamed as it arrives. */
export const PLAYGROUND_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./playground-page').then((m) => m.PlaygroundPage) },
];
