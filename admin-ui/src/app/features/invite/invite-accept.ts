import { ChangeDetectionStrategy, Component, computed, inject, signal, type OnInit } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ActivatedRoute } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import type { paths } from '../../api/schema';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { AuthService } from '../../core/auth/auth.service';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { applyProblem } from '../../shared/form-errors/apply-problem';

type InvitationView = paths['/admin/v1/invitations/{token}']['get']['responses'][200]['content']['application/json'];

/**
 * `/invite?token=…`, outside the signed-in shell (the invited person has no session yet): shows the
 * tenant, role and e-mail of the invitation; signed out, "Create account and join" (password, name)
 * or "Sign in to accept" (a normal sign-in that returns here with `accept=1` and accepts with the new
 * session). After accepting, the browser signs in to the invited tenant and lands on the console.
 */
@Component({
  selector: 'app-invite-accept',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressSpinnerModule,
    TranslocoDirective,
    LocalDatePipe,
  ],
  template: `
    <main class="invite" *transloco="let t">
      @if (!token) {
        <h1>{{ t('invite.invalid') }}</h1>
        <p role="alert" class="error-text">{{ t('invite.missing') }}</p>
      } @else if (loadError(); as e) {
        <h1>{{ t('invite.invalid') }}</h1>
        <p role="alert" class="error-text" data-testid="invite-error">{{ e }}</p>
      } @else if (invitation(); as inv) {
        <h1 data-testid="invite-title">{{ t('invite.title', { tenant: inv.tenant.name }) }}</h1>
        <p data-testid="invite-intro">
          {{ t('invite.intro', { email: inv.email, tenant: inv.tenant.name, role: t('invite.roles.' + inv.role) }) }}
        </p>
        <p class="muted">{{ t('invite.expires', { date: (inv.expires_at | localDate: 'utc') }) }}</p>
        @if (acceptError(); as e) {
          <p role="alert" class="error-text" data-testid="accept-error">{{ e }}</p>
        }
        @if (signedIn()) {
          <mat-card appearance="outlined">
            <mat-card-content>
              <p>{{ t('invite.signedInAs') }}</p>
              <button
                mat-flat-button
                type="button"
                (click)="acceptSignedIn()"
                [disabled]="busy()"
                data-testid="invite-accept"
              >
                {{ busy() ? t('invite.accepting') : t('invite.accept') }}
              </button>
            </mat-card-content>
          </mat-card>
        } @else {
          <mat-card appearance="outlined">
            <mat-card-content>
              <form [formGroup]="form" (ngSubmit)="create()" novalidate>
                <h2>{{ t('invite.createTitle') }}</h2>
                <mat-form-field>
                  <mat-label>{{ t('invite.name') }}</mat-label>
                  <input matInput formControlName="name" autocomplete="name" data-testid="invite-name" />
                  @if (form.controls.name.errors?.['server']; as e) {
                    <mat-error>{{ e }}</mat-error>
                  }
                </mat-form-field>
                <mat-form-field>
                  <mat-label>{{ t('invite.password') }}</mat-label>
                  <input
                    matInput
                    type="password"
                    formControlName="password"
                    required
                    autocomplete="new-password"
                    data-testid="invite-password"
                  />
                  <mat-hint>{{ t('invite.passwordHint') }}</mat-hint>
                  @if (form.controls.password.errors?.['server']; as e) {
                    <mat-error>{{ e }}</mat-error>
                  } @else if (form.controls.password.errors?.['required']) {
                    <mat-error>{{ t('common.required') }}</mat-error>
                  }
                </mat-form-field>
                <button mat-flat-button type="submit" [disabled]="busy()" data-testid="invite-create">
                  {{ busy() ? t('invite.accepting') : t('invite.create') }}
                </button>
              </form>
            </mat-card-content>
          </mat-card>
          <mat-card appearance="outlined">
            <mat-card-content>
              <h2>{{ t('invite.signInTitle') }}</h2>
              @if (needsSignIn()) {
                <p role="alert" data-testid="invite-exists">{{ t('invite.exists') }}</p>
              }
              <button mat-stroked-button type="button" (click)="signInToAccept()" data-testid="invite-signin">
                {{ t('invite.signIn') }}
              </button>
            </mat-card-content>
          </mat-card>
        }
      } @else {
        <mat-spinner diameter="40" [attr.aria-label]="t('invite.loading')" />
        <p role="status">{{ t('invite.loading') }}</p>
      }
    </main>
  `,
  styles: `
    .invite {
      max-width: 520px;
      margin: 48px auto;
      padding: 0 16px;
      display: flex;
      flex-direction: column;
      gap: 16px;
    }
    form {
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
    h2 {
      font-size: 1.1rem;
      margin: 0 0 8px;
    }
    .muted {
      color: var(--mat-sys-on-surface-variant);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class InviteAccept implements OnInit {
  private readonly api = inject(ApiClient);
  private readonly auth = inject(AuthService);
  private readonly query = inject(ActivatedRoute).snapshot.queryParamMap;
  readonly token = this.query.get('token') ?? '';
  readonly invitation = signal<InvitationView | null>(null);
  readonly loadError = signal<string | null>(null);
  readonly acceptError = signal<string | null>(null);
  readonly needsSignIn = signal(false);
  readonly busy = signal(false);
  readonly signedIn = computed(() => this.auth.signedIn());
  readonly form = inject(NonNullableFormBuilder).group({ name: [''], password: ['', Validators.required] });

  async ngOnInit(): Promise<void> {
    if (!this.token) return;
    try {
      this.invitation.set(
        await this.api.call(
          this.api.client.GET('/admin/v1/invitations/{token}', { params: { path: { token: this.token } } }),
        ),
      );
    } catch (err) {
      this.loadError.set(messageOf(err));
      return;
    }
    // Back from "Sign in to accept": accept with the new session without another click.
    if (this.auth.signedIn() && this.query.get('accept') === '1') await this.acceptSignedIn();
  }

  /** Signed out: creates the account of the invited address and joins; then signs the new user in. */
  async create(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    const inv = this.invitation();
    if (!inv) return;
    this.busy.set(true);
    this.acceptError.set(null);
    const { name, password } = this.form.getRawValue();
    try {
      const joined = await this.api.call(
        this.api.client.POST('/admin/v1/invitations/accept', {
          body: { token: this.token, password, name: name.trim() || undefined },
        }),
      );
      await this.auth.signIn('/home', { tenant: joined.tenant_id, loginHint: inv.email });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'sign_in_required') this.needsSignIn.set(true);
      else this.acceptError.set(applyProblem(this.form, err));
      this.busy.set(false);
    }
  }

  /** Signed in: accepts with the session (the server checks the e-mail), then switches to the tenant. */
  async acceptSignedIn(): Promise<void> {
    this.busy.set(true);
    this.acceptError.set(null);
    try {
      const joined = await this.api.call(
        this.api.client.POST('/admin/v1/invitations/accept', { body: { token: this.token } }),
      );
      await this.auth.signIn('/home', { tenant: joined.tenant_id });
    } catch (err) {
      this.acceptError.set(messageOf(err));
      this.busy.set(false);
    }
  }

  /** Starts the normal sign-in; it returns here and accepts. */
  signInToAccept(): void {
    const params = new URLSearchParams({ token: this.token, accept: '1' });
    void this.auth.signIn(`/invite?${params}`, { loginHint: this.invitation()?.email });
  }
}

function messageOf(err: unknown): string {
  return err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err);
}
