import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { applyProblem } from '../../shared/form-errors/apply-problem';
import { showSecretOnce } from '../../shared/secret-dialog/secret-dialog';
import { MEMBER_ROLES, type MemberRole } from './member';

/**
 * Invites an e-mail address with a role (and optionally a team). On success the accept link is shown
 * once with a copy button — the API never returns its token again — and the dialog closes with true.
 */
@Component({
  selector: 'app-invite-dialog',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    TranslocoDirective,
  ],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" *transloco="let t" novalidate>
      <h2 mat-dialog-title>{{ t('members.inviteTitle') }}</h2>
      <mat-dialog-content class="form-grid">
        <mat-form-field>
          <mat-label>{{ t('members.email') }}</mat-label>
          <input matInput type="email" formControlName="email" required autocomplete="off" data-testid="invite-email" />
          @if (form.controls.email.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          } @else if (form.controls.email.errors?.['required']) {
            <mat-error>{{ t('common.required') }}</mat-error>
          } @else if (form.controls.email.errors?.['email']) {
            <mat-error>{{ t('members.emailInvalid') }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('members.role') }}</mat-label>
          <mat-select formControlName="role" data-testid="invite-role">
            @for (r of roles; track r) {
              <mat-option [value]="r">{{ t('members.roles.' + r) }}</mat-option>
            }
          </mat-select>
          @if (form.controls.role.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('members.team') }}</mat-label>
          <mat-select formControlName="team_id">
            <mat-option value="">{{ t('members.noTeam') }}</mat-option>
            @for (team of teams(); track team.id) {
              <mat-option [value]="team.id">{{ team.name }}</mat-option>
            }
          </mat-select>
          @if (form.controls.team_id.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        @if (formError(); as e) {
          <p class="error-text" role="alert" data-testid="form-error">{{ e }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ t('common.cancel') }}</button>
        <button mat-flat-button type="submit" [disabled]="saving()" data-testid="invite-send">
          {{ t('members.send') }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class InviteDialog {
  readonly data = inject<{ tenantId: string }>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<InviteDialog, boolean>);
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(TranslocoService);
  readonly roles = MEMBER_ROLES;
  readonly teams = signal<{ id: string; name: string }[]>([]);
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    role: ['developer' as MemberRole],
    team_id: [''],
  });

  constructor() {
    // The team picker's choices (first page); a failure leaves it empty — the invitation still works.
    void this.api
      .call(
        this.api.client.GET('/admin/v1/tenants/{tenantId}/teams', {
          params: { path: { tenantId: this.data.tenantId }, query: { limit: 100 } },
        }),
      )
      .then((page) => this.teams.set(page.data.map((t) => ({ id: t.id, name: t.name }))))
      .catch(() => this.teams.set([]));
  }

  async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.saving.set(true);
    this.formError.set(null);
    const { email, role, team_id } = this.form.getRawValue();
    try {
      const created = await this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/invitations', {
          params: { path: { tenantId: this.data.tenantId } },
          body: { email: email.trim(), role, team_ids: team_id ? [team_id] : undefined },
        }),
      );
      await showSecretOnce(this.dialog, {
        title: this.i18n.translate('members.linkTitle', { email: created.email }),
        secret: created.accept_url,
        note: this.i18n.translate('members.linkNote'),
      });
      this.ref.close(true);
    } catch (err) {
      this.formError.set(applyProblem(this.form, err, { team_ids: 'team_id' }, { already_member: 'email' }));
    } finally {
      this.saving.set(false);
    }
  }
}
