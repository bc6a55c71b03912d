import type { Routes } from '@angular/router';

/** `/members`: the tenant's members (role, remove) and the invite dialog. */
export const MEMBERS_ROUTES: Routes = [
  { path: '', loadComponent: () => import('./member-list').then((m) => m.MemberList) },
];
