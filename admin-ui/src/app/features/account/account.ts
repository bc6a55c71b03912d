import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LANGUAGES, LanguageService, type Language } from '../../core/i18n/language.service';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { ThemeService, type ThemeChoice } from '../../core/theme/theme.service';
import { applyProblem } from '../../shared/form-errors/apply-problem';

/** `/account`: profile and memberships, password change, language and theme. */
@Component({
  selector: 'app-account',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    TranslocoDirective,
    LocalDatePipe,
  ],
  templateUrl: './account.html',
  styles: `
    .cards {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(340px, 1fr));
      gap: 16px;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
    }
    dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
    }
    mat-card-content {
      padding-top: 8px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
      margin: 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Account {
  readonly session = inject(SessionService);
  readonly language = inject(LanguageService);
  readonly theme = inject(ThemeService);
  private readonly api = inject(ApiClient);
  readonly languages = LANGUAGES;
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly changed = signal(false);
  readonly profileSaving = signal(false);
  readonly profileError = signal<string | null>(null);
  readonly profileSaved = signal(false);
  readonly profile = inject(NonNullableFormBuilder).group({ display_name: ['', Validators.maxLength(200)] });

  constructor() {
    // Prefill once /me is known; the form stays the user's from then on.
    void this.session.ensureLoaded().then((me) => this.profile.reset({ display_name: me?.user?.display_name ?? '' }));
  }
  readonly password = inject(NonNullableFormBuilder).group({
    current_password: ['', Validators.required],
    new_password: ['', Validators.required],
    confirm: ['', Validators.required],
  });

  setLanguage(lang: Language): void {
    this.language.use(lang);
    // Remembered on the account too, so another browser starts in it; an API key session has no user.
    if (this.session.me()?.user)
      void this.api
        .call(this.api.client.PATCH('/admin/v1/me', { body: { preferred_language: lang } }))
        .catch(() => undefined);
  }

  async saveProfile(): Promise<void> {
    this.profileSaved.set(false);
    this.profileError.set(null);
    if (this.profile.invalid) return;
    this.profileSaving.set(true);
    try {
      const name = this.profile.getRawValue().display_name.trim();
      await this.api.call(this.api.client.PATCH('/admin/v1/me', { body: { display_name: name === '' ? null : name } }));
      await this.session.load();
      this.profileSaved.set(true);
    } catch (err) {
      this.profileError.set(applyProblem(this.profile, err));
    } finally {
      this.profileSaving.set(false);
    }
  }

  setTheme(choice: ThemeChoice): void {
    this.theme.set(choice);
  }

  async changePassword(): Promise<void> {
    this.changed.set(false);
    this.formError.set(null);
    this.password.markAllAsTouched();
    const v = this.password.getRawValue();
    if (v.new_password && v.confirm && v.new_password !== v.confirm)
      this.password.controls.confirm.setErrors({ mismatch: true });
    if (this.password.invalid) return;
    this.saving.set(true);
    try {
      await this.api.call(
        this.api.client.POST('/admin/v1/me/password', {
          body: { current_password: v.current_password, new_password: v.new_password },
        }),
      );
      this.password.reset();
      this.changed.set(true);
    } catch (err) {
      this.formError.set(applyProblem(this.password, err));
    } finally {
      this.saving.set(false);
    }
  }
}
