import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  inject,
  input,
  output,
  signal,
} from '@angular/core';
import { FormArray, FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiError } from '../../../core/api/problem';
import {
  aliasEntry,
  aliasValue,
  changeFailure,
  placeIssues,
  problemIssues,
  type AliasEntry,
  type ChangeFailure,
} from './alias-form';
import { CatalogState } from './catalog-state';

type DeploymentGroup = FormGroup<{
  provider: FormControl<string>;
  model: FormControl<string>;
  weight: FormControl<number>;
}>;

/**
 * Adds or edits a model alias of the live catalog: its deployments (provider, upstream model,
 * weight) and fallbacks. Saves with If-Match; a 400 `catalog_invalid` puts each problem next to
 * its field, a 412/409 says the catalog changed meanwhile and offers a reload.
 */
@Component({
  selector: 'app-alias-editor',
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <form
      class="editor"
      *transloco="let t"
      [formGroup]="form"
      (ngSubmit)="save()"
      (keydown.escape)="closed.emit()"
      data-testid="alias-editor"
      [attr.aria-labelledby]="'alias-editor-title'"
    >
      <h3 id="alias-editor-title" tabindex="-1">
        {{ name() ? t('models.catalog.editAlias', { name: name() }) : t('models.catalog.addAlias') }}
      </h3>
      <mat-form-field>
        <mat-label>{{ t('models.alias') }}</mat-label>
        <input matInput formControlName="name" [readonly]="!!name()" autocomplete="off" data-testid="alias-name" />
        @if (form.controls.name.errors?.['required']) {
          <mat-error>{{ t('common.required') }}</mat-error>
        }
      </mat-form-field>

      <fieldset formArrayName="deployments">
        <legend>{{ t('models.catalog.deployments') }}</legend>
        @for (g of deployments.controls; track g; let i = $index) {
          <div class="row" [formGroupName]="i" [attr.data-testid]="'deployment-' + i">
            <mat-form-field>
              <mat-label>{{ t('models.provider') }}</mat-label>
              <select matNativeControl formControlName="provider" data-testid="deployment-provider">
                @for (p of providers(); track p) {
                  <option [value]="p">{{ p }}</option>
                }
              </select>
              @if (depError(i, 'provider'); as e) {
                <mat-hint class="issue" data-testid="issue">{{ e }}</mat-hint>
              }
            </mat-form-field>
            <mat-form-field>
              <mat-label>{{ t('models.deployment') }}</mat-label>
              <input matInput formControlName="model" autocomplete="off" data-testid="deployment-model" />
              @if (depError(i, 'model'); as e) {
                <mat-hint class="issue" data-testid="issue">{{ e }}</mat-hint>
              } @else if (g.controls.model.errors?.['required']) {
                <mat-error>{{ t('common.required') }}</mat-error>
              }
            </mat-form-field>
            <mat-form-field class="narrow">
              <mat-label>{{ t('models.weight') }}</mat-label>
              <input matInput type="number" min="0" step="1" formControlName="weight" data-testid="deployment-weight" />
              @if (depError(i, 'weight'); as e) {
                <mat-hint class="issue" data-testid="issue">{{ e }}</mat-hint>
              }
            </mat-form-field>
            <button
              mat-button
              type="button"
              (click)="removeDeployment(i)"
              [disabled]="deployments.length === 1"
              [attr.aria-label]="t('models.catalog.removeDeployment', { n: i + 1 })"
            >
              {{ t('models.catalog.remove') }}
            </button>
            @if (depError(i, null); as e) {
              <p class="issue" data-testid="issue">{{ e }}</p>
            }
          </div>
        }
        <button mat-button type="button" (click)="addDeployment()" data-testid="add-deployment">
          {{ t('models.catalog.addDeployment') }}
        </button>
      </fieldset>

      <mat-form-field class="full">
        <mat-label>{{ t('models.catalog.fallbacks') }}</mat-label>
        <input matInput formControlName="fallbacks" autocomplete="off" data-testid="alias-fallbacks" />
        @if (fallbackError(); as e) {
          <mat-hint class="issue" data-testid="issue">{{ e }}</mat-hint>
        } @else {
          <mat-hint>{{ t('models.catalog.fallbacksHint') }}</mat-hint>
        }
      </mat-form-field>

      <div role="alert" data-testid="alias-message">
        @if (failure() === 'stale') {
          <p class="issue">
            {{ t('models.catalog.stale') }}
            <button mat-button type="button" (click)="reload()" data-testid="alias-reload">
              {{ t('models.catalog.reload') }}
            </button>
          </p>
        } @else if (failure() === 'invalid') {
          <p class="issue">{{ t('models.catalog.invalid') }}</p>
        }
        @for (m of formIssues(); track m) {
          <p class="issue" data-testid="issue">{{ m }}</p>
        }
      </div>
      <div class="actions">
        <button mat-button type="button" (click)="closed.emit()">{{ t('common.cancel') }}</button>
        <button mat-flat-button type="submit" [disabled]="saving()" data-testid="alias-save">
          {{ t('models.catalog.save') }}
        </button>
      </div>
    </form>
  `,
  styles: `
    .editor {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
      padding: 12px 16px;
      margin: 12px 0;
    }
    fieldset {
      border: 0;
      padding: 0;
      margin: 0 0 8px;
    }
    legend {
      font: var(--mat-sys-title-small);
      margin-bottom: 8px;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: baseline;
    }
    .narrow {
      width: 110px;
    }
    .full {
      width: 100%;
    }
    .issue {
      color: var(--mat-sys-error);
    }
    .actions {
      display: flex;
      gap: 8px;
      justify-content: flex-end;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AliasEditor {
  private readonly state = inject(CatalogState);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly i18n = inject(TranslocoService);
  /** The alias edited; empty for a new one. */
  readonly name = input<string>('');
  /** Its entry in effect (null: a new alias). */
  readonly entry = input<AliasEntry | null>(null);
  readonly providers = input<string[]>([]);
  readonly closed = output<void>();
  readonly saved = output<string>();

  readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
    deployments: new FormArray<DeploymentGroup>([]),
    fallbacks: new FormControl('', { nonNullable: true }),
  });
  readonly saving = signal(false);
  readonly failure = signal<ChangeFailure | null>(null);
  private readonly issues = signal<ReturnType<typeof placeIssues>>([]);
  readonly formIssues = signal<string[]>([]);
  /** The stored entry the form started from (read again on reload). */
  private current: AliasEntry | null = null;

  constructor() {
    afterNextRender(() => {
      this.fill(this.entry());
      // Focus the form's heading so keyboard and screen-reader users land in it.
      this.host.nativeElement.querySelector<HTMLElement>('#alias-editor-title')?.focus();
    });
  }

  private fill(entry: AliasEntry | null): void {
    this.current = entry;
    const v = aliasValue(this.name(), entry, this.providers()[0] ?? '');
    if (!this.name()) v.name = this.form.controls.name.value;
    this.form.controls.name.setValue(v.name);
    this.form.controls.fallbacks.setValue(v.fallbacks);
    this.deployments.clear();
    for (const d of v.deployments) this.deployments.push(this.group(d.provider, d.model, d.weight));
  }

  /** After a 412/409: read the catalog again and start the form from what is stored now. */
  async reload(): Promise<void> {
    try {
      const c = await this.state.load();
      const stored = this.name()
        ? (c.models.find((m) => m.name === this.name())?.config as AliasEntry | null | undefined)
        : null;
      this.failure.set(null);
      this.issues.set([]);
      this.formIssues.set([]);
      if (this.name() && !stored) {
        this.formIssues.set([this.i18n.translate('models.catalog.gone', { name: this.name() })]);
        return;
      }
      this.fill(stored ?? null);
    } catch (err) {
      this.formIssues.set([err instanceof Error ? err.message : String(err)]);
    }
  }

  get deployments(): FormArray<DeploymentGroup> {
    return this.form.controls.deployments;
  }

  private group(provider: string, model: string, weight: number): DeploymentGroup {
    return new FormGroup({
      provider: new FormControl(provider, { nonNullable: true }),
      model: new FormControl(model, { nonNullable: true, validators: [Validators.required] }),
      weight: new FormControl(weight, { nonNullable: true, validators: [Validators.min(0)] }),
    });
  }

  addDeployment(): void {
    this.deployments.push(this.group(this.providers()[0] ?? '', '', 1));
  }
  removeDeployment(i: number): void {
    this.deployments.removeAt(i);
  }

  depError(i: number, key: 'provider' | 'model' | 'weight' | null): string | null {
    const hit = this.issues().find(
      (x) => x.target.field === 'deployment' && x.target.index === i && x.target.key === key,
    );
    return hit?.message ?? null;
  }
  fallbackError(): string | null {
    return this.issues().find((x) => x.target.field === 'fallbacks')?.message ?? null;
  }

  async save(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    const value = this.form.getRawValue();
    const name = value.name.trim();
    this.saving.set(true);
    this.failure.set(null);
    this.issues.set([]);
    this.formIssues.set([]);
    try {
      await this.state.put('models', name, aliasEntry({ ...value, name }, this.current));
      this.saved.emit(name);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const kind = changeFailure(err);
      this.failure.set(kind);
      if (kind === 'invalid') {
        const placed = placeIssues(name, problemIssues(err));
        this.issues.set(placed);
        // Deployment issues not tied to a field of the row (e.g. "needs a provider") show under the row.
        this.formIssues.set(placed.filter((p) => p.target.field === 'form').map((p) => p.message));
        if (!placed.length) this.formIssues.set([err.problem.detail]);
      } else if (kind === 'other') this.formIssues.set([err.problem.detail]);
    } finally {
      this.saving.set(false);
    }
  }
}
