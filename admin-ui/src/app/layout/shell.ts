import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
// Everything here is in the first download. Note @angular/material/list is one module: its selection
// list's value accessor keeps @angular/forms (~47 kB) in the initial chunks even for a nav list.
import { MatButton, MatIconButton } from '@angular/material/button';
import { MatListItem, MatNavList } from '@angular/material/list';
import { MatSidenav, MatSidenavContainer, MatSidenavContent } from '@angular/material/sidenav';
import { MatToolbar } from '@angular/material/toolbar';
import { AuthService } from '../core/auth/auth.service';
import { NAV_ITEMS, visibleNav } from '../core/nav/nav-items';
import { SessionService } from '../core/session/session.service';
import { TopbarMenus } from './topbar-menus';

/** Narrower than this, the navigation becomes a drawer (Material's "small" breakpoint ends at 959.98 px; phones and portrait tablets). */
export const NARROW = '(max-width: 767.98px)';

/**
 * The signed-in frame: top bar (its tenant switcher, language and user menus are TopbarMenus, loaded
 * just after the first paint), the navigation the caller's role allows, the session-expired prompt,
 * and the routed screen in <main>.
 */
@Component({
  selector: 'app-shell',
  imports: [
    RouterOutlet,
    RouterLink,
    RouterLinkActive,
    TranslocoDirective,
    MatButton,
    MatIconButton,
    MatListItem,
    MatNavList,
    MatSidenav,
    MatSidenavContainer,
    MatSidenavContent,
    MatToolbar,
    TopbarMenus,
  ],
  templateUrl: './shell.html',
  styleUrl: './shell.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Shell {
  readonly auth = inject(AuthService);
  readonly session = inject(SessionService);
  private readonly router = inject(Router);

  /**
   * Below a tablet's width the navigation is a drawer over the screen, opened from the top bar: a
   * fixed 220 px side column would leave a phone 170 px for the screen itself.
   */
  readonly narrow = signal(false);
  /** The drawer's state on a narrow screen (the side column is always open on a wide one). */
  readonly navOpen = signal(false);

  readonly nav = computed(() =>
    visibleNav(NAV_ITEMS, { superadmin: this.session.superadmin(), permissions: this.session.permissions() }),
  );
  readonly tenantNav = computed(() => this.nav().filter((i) => i.group === 'tenant'));
  readonly platformNav = computed(() => this.nav().filter((i) => i.group === 'platform'));

  constructor() {
    // matchMedia directly: the CDK's BreakpointObserver would add its module to the initial bundle for one query.
    const query = matchMedia(NARROW);
    this.narrow.set(query.matches);
    const onChange = (e: MediaQueryListEvent) => this.narrow.set(e.matches);
    query.addEventListener('change', onChange);
    inject(DestroyRef).onDestroy(() => query.removeEventListener('change', onChange));
    // A link in the drawer was followed (by click or keyboard): on a narrow screen the drawer gets out of the way.
    this.router.events.pipe(takeUntilDestroyed()).subscribe((e) => {
      if (e instanceof NavigationEnd) this.navOpen.set(false);
    });
  }

  signInAgain(): void {
    void this.auth.signIn(this.router.url);
  }
}
