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
import { CLIENT_SCOPES, parseUris, toCreateClientBody, type ClientFormValue, type OAuthClient } from './oauth-client';

/**
 * Registers a client (the secret shown once), or edits an existing one's name, redirect URIs and
 * scopes (taking any away ends the client's sign-ins: the server says so in the audit log).
 */
@Component({
  selector: 'app-oauth-client-form-dialog',
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
      <h2 mat-dialog-title>
        {{ data.client ? t('oauthClients.editTitle', { name: data.client.name }) : t('oauthClients.createTitle') }}
      </h2>
      <mat-dialog-content class="form-grid">
        <mat-form-field>
          <mat-label>{{ t('oauthClients.name') }}</mat-label>
          <input matInput formControlName="name" required data-testid="client-name" autocomplete="off" />
          @if (form.controls.name.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          } @else if (form.controls.name.errors?.['required']) {
            <mat-error>{{ t('common.required') }}</mat-error>
          }
        </mat-form-field>
        @if (!data.client) {
          <mat-form-field>
            <mat-label>{{ t('oauthClients.kind') }}</mat-label>
            <mat-select formControlName="kind" data-testid="client-kind">
              <mat-option value="machine">{{ t('oauthClients.kindMachine') }}</mat-option>
              <mat-option value="web">{{ t('oauthClients.kindWeb') }}</mat-option>
              <mat-option value="spa">{{ t('oauthClients.kindSpa') }}</mat-option>
            </mat-select>
          </mat-form-field>
        }
        @if (
          data.client ? data.client.grant_types.includes('authorization_code') : form.controls.kind.value !== 'machine'
        ) {
          <mat-form-field>
            <mat-label>{{ t('oauthClients.redirectUris') }}</mat-label>
            <textarea matInput formControlName="redirect_uris" rows="3" data-testid="client-redirects"></textarea>
            <mat-hint>{{ t('oauthClients.redirectHint') }}</mat-hint>
            @if (form.controls.redirect_uris.errors?.['server']; as e) {
              <mat-error>{{ e }}</mat-error>
            }
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ t('oauthClients.scopes') }}</mat-label>
          <mat-select formControlName="scopes" multiple>
            @for (s of scopes; track s) {
              <mat-option [value]="s">{{ s }}</mat-option>
            }
          </mat-select>
          @if (form.controls.scopes.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        @if (formError(); as e) {
          <p class="error-text" role="alert" data-testid="form-error">{{ e }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ t('common.cancel') }}</button>
        <button mat-flat-button type="submit" [disabled]="saving()" data-testid="client-save">
          {{ data.client ? t('common.save') : t('common.create') }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OAuthClientFormDialog {
  readonly data = inject<{ tenantId: string; client?: OAuthClient }>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<OAuthClientFormDialog, OAuthClient>);
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(TranslocoService);
  readonly scopes = CLIENT_SCOPES;
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    name: [this.data.client?.name ?? '', Validators.required],
    kind: ['machine' as ClientFormValue['kind']],
    redirect_uris: [(this.data.client?.redirect_uris ?? []).join('\n')],
    scopes: [this.data.client?.scopes ?? ([] as string[])],
  });

  async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.saving.set(true);
    this.formError.set(null);
    const v = this.form.getRawValue();
    const tenantId = this.data.tenantId;
    try {
      if (this.data.client) {
        const client = this.data.client;
        const updated = await this.api.call(
          this.api.client.PATCH('/admin/v1/tenants/{tenantId}/oauth-clients/{clientId}', {
            params: { path: { tenantId, clientId: client.client_id } },
            body: {
              name: v.name.trim(),
              ...(client.grant_types.includes('authorization_code')
                ? { redirect_uris: parseUris(v.redirect_uris) }
                : {}),
              ...(v.scopes.length ? { scopes: v.scopes as (typeof CLIENT_SCOPES)[number][] } : {}),
            },
          }),
        );
        this.ref.close(updated);
        return;
      }
      const created = await this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/oauth-clients', {
          params: { path: { tenantId } },
          body: toCreateClientBody(v),
        }),
      );
      const { client_secret, ...view } = created;
      if (client_secret) {
        await showSecretOnce(this.dialog, {
          title: this.i18n.translate('oauthClients.secretTitle', { name: created.name }),
          secret: client_secret,
          note: this.i18n.translate('oauthClients.secretNote', { id: created.client_id }),
        });
      }
      this.ref.close(view);
    } catch (err) {
      this.formError.set(applyProblem(this.form, err));
    } finally {
      this.saving.set(false);
    }
  }
}
