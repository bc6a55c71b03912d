import { inject } from '@angular/core';
import { Router, type CanActivateFn, type CanMatchFn, type UrlSegment, type UrlTree } from '@angular/router';
import { SessionService } from '../session/session.service';
import { AuthService } from './auth.service';

/**
 * The shell's guard: signed in (or sends the browser to sign in, coming back to this URL), and
 * /me loaded so the navigation and the feature guards can decide.
 */
export const authGuard: CanActivateFn = async (_route, state) => {
  const auth = inject(AuthService);
  const session = inject(SessionService);
  if (!auth.signedIn()) {
    await auth.signIn(state.url);
    return false;
  }
  // A /me failure leaves the shell without navigation; the feature guards then deny.
  await session.ensureLoaded();
  return true;
};

/**
 * Where a caller without access lands: home, told which screen it was (`?denied=/audit`) so a deep
 * link that silently became the home page does not look like a broken link.
 */
function deniedUrl(router: Router, segments: UrlSegment[]): UrlTree {
  return router.createUrlTree(['/home'], { queryParams: { denied: '/' + segments.map((s) => s.path).join('/') } });
}

/** A route for callers holding `permission` (superadmins hold all); others land on home. */
export function requirePermission(permission: string): CanMatchFn {
  return async (_route, segments) => {
    const session = inject(SessionService);
    const router = inject(Router);
    // Not signed in yet: match, and let the shell's authGuard send the browser to sign in with this URL.
    if (!inject(AuthService).signedIn()) return true;
    await session.ensureLoaded();
    return session.can(permission) || deniedUrl(router, segments);
  };
}

/** Platform routes (tenants, users): superadmins only. */
export const requireSuperadmin: CanMatchFn = async (_route, segments) => {
  const session = inject(SessionService);
  const router = inject(Router);
  if (!inject(AuthService).signedIn()) return true;
  await session.ensureLoaded();
  return session.superadmin() || deniedUrl(router, segments);
};
