import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButton } from '@angular/material/button';
import { MatFormField, MatLabel } from '@angular/material/form-field';
import { MatMenu, MatMenuItem, MatMenuTrigger } from '@angular/material/menu';
import { MatOption, MatSelect } from '@angular/material/select';
import { AuthService } from '../core/auth/auth.service';
import { LANGUAGES, LanguageService, type Language } from '../core/i18n/language.service';
import { SessionService } from '../core/session/session.service';

/**
 * The top bar's controls: tenant switcher, language and user menus. Its own component so the shell
 * can load it behind `@defer`: the select, menus, overlay and forms code they pull in (about a third
 * of the console's first download) is then fetched after the first paint instead of before it.
 */
@Component({
  selector: 'app-topbar-menus',
  imports: [
    RouterLink,
    TranslocoDirective,
    MatButton,
    MatFormField,
    MatLabel,
    MatMenu,
    MatMenuItem,
    MatMenuTrigger,
    MatSelect,
    MatOption,
  ],
  template: `
    <ng-container *transloco="let t">
      @if (showSwitcher()) {
        <mat-form-field subscriptSizing="dynamic" class="tenant-switcher">
          <mat-label>{{ t('shell.tenant') }}</mat-label>
          <mat-select
            [value]="session.tenantId()"
            (selectionChange)="switchTenant($event.value)"
            data-testid="tenant-switcher"
          >
            @for (tenant of session.tenants(); track tenant.id) {
              <mat-option [value]="tenant.id">{{ tenant.name }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
      } @else if (session.me()?.tenant; as tenant) {
        <span class="tenant-name">{{ tenant.name }}</span>
      }
      <button
        mat-button
        type="button"
        [matMenuTriggerFor]="langMenu"
        [attr.aria-label]="t('shell.language') + ': ' + t('lang.' + language.current())"
        data-testid="language-menu"
      >
        {{ t('lang.' + language.current()) }}
      </button>
      <mat-menu #langMenu="matMenu">
        @for (lang of languages; track lang) {
          <button
            mat-menu-item
            type="button"
            (click)="language.use(lang)"
            [attr.lang]="lang"
            [attr.data-testid]="'lang-' + lang"
          >
            {{ t('lang.' + lang) }}
          </button>
        }
      </mat-menu>
      <button mat-button type="button" class="user-menu" [matMenuTriggerFor]="userMenu" data-testid="user-menu">
        {{ session.me()?.user?.email ?? t('shell.account') }}
      </button>
      <mat-menu #userMenu="matMenu">
        <a mat-menu-item routerLink="/account">{{ t('nav.account') }}</a>
        <button mat-menu-item type="button" (click)="signOut()" data-testid="sign-out">
          {{ t('shell.signOut') }}
        </button>
      </mat-menu>
    </ng-container>
  `,
  styleUrl: './topbar-menus.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TopbarMenus {
  private readonly auth = inject(AuthService);
  readonly session = inject(SessionService);
  readonly language = inject(LanguageService);
  private readonly router = inject(Router);
  readonly languages: readonly Language[] = LANGUAGES;
  readonly showSwitcher = computed(() => this.session.superadmin() || this.session.tenants().length > 1);

  async switchTenant(id: string): Promise<void> {
    await this.session.switchTenant(id, '/home');
    await this.router.navigateByUrl('/home');
  }

  signOut(): void {
    this.session.clear();
    void this.auth.signOut();
  }
}
