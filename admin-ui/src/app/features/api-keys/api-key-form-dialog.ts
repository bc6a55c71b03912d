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
import { KEY_ROLES, KEY_SCOPES, toCreateBody, type ApiKey } from './api-key';
import { KeyFilterOptions } from './key-filter-options';

/**
 * Creates a key: name, owner, team, role, scopes, allowed models, limits, monthly budget, expiry.
 * On success the secret is shown once (with a copy button) and the dialog closes with the key's
 * view, never the secret.
 */
@Component({
  selector: 'app-api-key-form-dialog',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    TranslocoDirective,
  ],
  providers: [KeyFilterOptions],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" *transloco="let t" novalidate>
      <h2 mat-dialog-title>{{ t('apiKeys.createTitle') }}</h2>
      <mat-dialog-content class="form-grid">
        <mat-form-field>
          <mat-label>{{ t('apiKeys.name') }}</mat-label>
          <input matInput formControlName="name" required data-testid="key-name" autocomplete="off" />
          @if (form.controls.name.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          } @else if (form.controls.name.errors?.['required']) {
            <mat-error>{{ t('common.required') }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.owner') }}</mat-label>
          <mat-select formControlName="user_id">
            <mat-option value="">{{ t('apiKeys.ownerMe') }}</mat-option>
            @for (m of options.members() ?? []; track m.id) {
              <mat-option [value]="m.id">{{ m.label }}</mat-option>
            }
          </mat-select>
          @if (form.controls.user_id.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.team') }}</mat-label>
          <mat-select formControlName="team_id">
            <mat-option value="">{{ t('apiKeys.noTeam') }}</mat-option>
            @for (team of options.teams() ?? []; track team.id) {
              <mat-option [value]="team.id">{{ team.label }}</mat-option>
            }
          </mat-select>
          @if (form.controls.team_id.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.role') }}</mat-label>
          <mat-select formControlName="role">
            <mat-option value="">{{ t('apiKeys.roleDefault') }}</mat-option>
            @for (r of roles; track r) {
              <mat-option [value]="r">{{ r }}</mat-option>
            }
          </mat-select>
          @if (form.controls.role.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.scopes') }}</mat-label>
          <mat-select formControlName="scopes" multiple data-testid="key-scopes">
            @for (s of scopes; track s) {
              <mat-option [value]="s">{{ s }}</mat-option>
            }
          </mat-select>
          <mat-hint>{{ t('apiKeys.scopesHint') }}</mat-hint>
          @if (form.controls.scopes.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.allowedModels') }}</mat-label>
          <input matInput formControlName="allowed_models" autocomplete="off" data-testid="key-models" />
          <mat-hint>{{ t('apiKeys.allowedModelsHint') }}</mat-hint>
          @if (form.controls.allowed_models.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.rpm') }}</mat-label>
          <input matInput formControlName="requests_per_minute" inputmode="numeric" autocomplete="off" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.tpm') }}</mat-label>
          <input matInput formControlName="tokens_per_minute" inputmode="numeric" autocomplete="off" />
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.monthlyBudget') }}</mat-label>
          <input matInput formControlName="monthly_budget_usd" inputmode="decimal" autocomplete="off" />
          <mat-hint>{{ t('apiKeys.monthlyBudgetHint') }}</mat-hint>
          @if (form.controls.monthly_budget_usd.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        <mat-form-field>
          <mat-label>{{ t('apiKeys.expiresInDays') }}</mat-label>
          <input matInput formControlName="expires_in_days" inputmode="numeric" autocomplete="off" />
          <mat-hint>{{ t('apiKeys.expiresHint') }}</mat-hint>
          @if (form.controls.expires_in_days.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        @if (formError(); as e) {
          <p class="error-text" role="alert" data-testid="form-error">{{ e }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ t('common.cancel') }}</button>
        <button mat-flat-button type="submit" [disabled]="saving()" data-testid="key-save">
          {{ t('common.create') }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeyFormDialog {
  readonly data = inject<{ tenantId: string }>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<ApiKeyFormDialog, ApiKey>);
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(TranslocoService);
  readonly options = inject(KeyFilterOptions);
  readonly roles = KEY_ROLES;
  readonly scopes = KEY_SCOPES;
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    name: ['', Validators.required],
    user_id: [''],
    team_id: [''],
    role: [''],
    scopes: [[] as string[]],
    allowed_models: [''],
    requests_per_minute: [''],
    tokens_per_minute: [''],
    monthly_budget_usd: [''],
    expires_in_days: [''],
  });

  constructor() {
    // The pickers' choices; a failure leaves them empty (the key is still creatable for oneself).
    void this.options.loadMembers(this.data.tenantId).catch(() => this.options.members.set([]));
    void this.options.loadTeams(this.data.tenantId).catch(() => this.options.teams.set([]));
  }

  async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.saving.set(true);
    this.formError.set(null);
    try {
      const created = await this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/api-keys', {
          params: { path: { tenantId: this.data.tenantId } },
          body: toCreateBody(this.form.getRawValue()),
        }),
      );
      const { key, ...view } = created;
      await showSecretOnce(this.dialog, {
        title: this.i18n.translate('apiKeys.secretTitle', { name: created.name }),
        secret: key,
        note: this.i18n.translate('apiKeys.secretNote'),
      });
      this.ref.close(view);
    } catch (err) {
      this.formError.set(applyProblem(this.form, err));
    } finally {
      this.saving.set(false);
    }
  }
}
