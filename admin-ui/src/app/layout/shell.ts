import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatListModule } from '@angular/material/list';
import { MatMenuModule } from '@angular/material/menu';
import { MatSelectModule } from '@angular/material/select';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { AuthService } from '../core/auth/auth.service';
import { LANGUAGES, LanguageService, type Language } from '../core/i18n/language.service';
import { NAV_ITEMS, visibleNav } from '../core/nav/nav-items';
import { SessionService } from '../core/session/session.service';

/**
 * The signed-in frame: top bar (tenant switcher, language, user menu), the navigation the caller's
 * role allows, the session-expired prompt, and the routed screen in <main>.
 */
@Component({
  selector: 'app-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, TranslocoDirective, MatButtonModule, MatFormFieldModule, MatListModule, MatMenuModule, MatSelectModule, MatSidenavModule, MatToolbarModule],
  templateUrl: './shell.html',
  styleUrl: './shell.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Shell {
  readonly auth = inject(AuthService);
  readonly session = inject(SessionService);
  readonly language = inject(LanguageService);
  private readonly router = inject(Router);
  readonly languages = LANGUAGES;

  readonly nav = computed(() => visibleNav(NAV_ITEMS, { superadmin: this.session.superadmin(), permissions: this.session.permissions() }));
  readonly tenantNav = computed(() => this.nav().filter((i) => i.group === 'tenant'));
  readonly platformNav = computed(() => this.nav().filter((i) => i.group === 'platform'));
  readonly showSwitcher = computed(() => this.session.superadmin() || this.session.tenants().length > 1);

  async switchTenant(id: string): Promise<void> {
    await this.session.switchTenant(id, '/home');
    await this.router.navigateByUrl('/home');
  }

  setLanguage(lang: Language): void {
    this.language.use(lang);
  }

  signInAgain(): void {
    void this.auth.signIn(this.router.url);
  }

  signOut(): void {
    this.session.clear();
    void this.auth.signOut();
  }
}
