import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { applyProblem } from '../../shared/form-errors/apply-problem';
import type { Tenant } from './tenant';

export interface TenantFormResult {
  tenant: Tenant;
}

/** Creates a tenant (name, slug, plan), or changes an existing one's name and plan. */
@Component({
  selector: 'app-tenant-form-dialog',
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    TranslocoDirective,
  ],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" *transloco="let t" novalidate>
      <h2 mat-dialog-title>
        {{ data.tenant ? t('tenants.editTitle', { name: data.tenant.name }) : t('tenants.createTitle') }}
      </h2>
      <mat-dialog-content class="form-grid">
        <mat-form-field>
          <mat-label>{{ t('tenants.name') }}</mat-label>
          <input matInput formControlName="name" required data-testid="tenant-name" />
          @if (form.controls.name.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          } @else if (form.controls.name.errors?.['required']) {
            <mat-error>{{ t('common.required') }}</mat-error>
          }
        </mat-form-field>
        @if (!data.tenant) {
          <mat-form-field>
            <mat-label>{{ t('tenants.slug') }}</mat-label>
            <input matInput formControlName="slug" required data-testid="tenant-slug" autocomplete="off" />
            <mat-hint>{{ t('tenants.slugHint') }}</mat-hint>
            @if (form.controls.slug.errors?.['server']; as e) {
              <mat-error>{{ e }}</mat-error>
            } @else if (form.controls.slug.errors?.['required']) {
              <mat-error>{{ t('common.required') }}</mat-error>
            }
          </mat-form-field>
        }
        <mat-form-field>
          <mat-label>{{ t('tenants.plan') }}</mat-label>
          <input matInput formControlName="plan" data-testid="tenant-plan" autocomplete="off" />
          <mat-hint>{{ t('tenants.planHint') }}</mat-hint>
          @if (form.controls.plan.errors?.['server']; as e) {
            <mat-error>{{ e }}</mat-error>
          }
        </mat-form-field>
        @if (formError(); as e) {
          <p class="error-text" role="alert" data-testid="form-error">{{ e }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>{{ t('common.cancel') }}</button>
        <button mat-flat-button type="submit" [disabled]="saving()" data-testid="tenant-save">
          {{ data.tenant ? t('common.save') : t('common.create') }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TenantFormDialog {
  readonly data = inject<{ tenant?: Tenant }>(MAT_DIALOG_DATA);
  private readonly ref = inject(MatDialogRef<TenantFormDialog, TenantFormResult>);
  private readonly api = inject(ApiClient);
  readonly saving = signal(false);
  readonly formError = signal<string | null>(null);
  readonly form = inject(NonNullableFormBuilder).group({
    name: [this.data.tenant?.name ?? '', Validators.required],
    slug: [this.data.tenant?.slug ?? '', this.data.tenant ? [] : [Validators.required]],
    plan: [this.data.tenant?.plan ?? ''],
  });

  async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.saving.set(true);
    this.formError.set(null);
    const v = this.form.getRawValue();
    try {
      const tenant = this.data.tenant
        ? await this.api.call(
            this.api.client.PATCH('/admin/v1/tenants/{tenantId}', {
              params: { path: { tenantId: this.data.tenant.id } },
              body: { name: v.name, ...(v.plan ? { plan: v.plan } : {}) },
            }),
          )
        : await this.api.call(
            this.api.client.POST('/admin/v1/tenants', {
              body: { name: v.name, slug: v.slug, ...(v.plan ? { plan: v.plan } : {}) },
            }),
          );
      this.ref.close({ tenant: tenant as Tenant });
    } catch (err) {
      this.formError.set(applyProblem(this.form, err, {}, { slug_taken: 'slug', unknown_plan: 'plan' }));
    } finally {
      this.saving.set(false);
    }
  }
}
