import { ChangeDetectionStrategy, Component, inject, output, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { StackedTable } from '../../../shared/stacked-table/stacked-table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ConfirmService } from '../../../shared/confirm-dialog/confirm.service';
import { providerEntry, priceEntry, type PriceValue, type ProviderConfig } from './provider-form';
import { CatalogState, type CatalogEntry } from './catalog-state';

/**
 * Providers (credentials masked; a new one is write-only, never shown back) and prices per 1M
 * tokens, each with its source, for platform admins. Saved with If-Match like every catalog change.
 */
@Component({
  selector: 'app-providers-panel',
  imports: [StackedTable, ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <section aria-labelledby="providers-title" data-testid="catalog-providers">
        <h3 id="providers-title">{{ t('models.catalog.providers') }}</h3>
        <table class="simple" appStackedTable>
          <caption class="visually-hidden">
            {{
              t('models.catalog.providers')
            }}
          </caption>
          <thead>
            <tr>
              <th scope="col">{{ t('models.provider') }}</th>
              <th scope="col">{{ t('models.catalog.type') }}</th>
              <th scope="col">{{ t('models.catalog.baseUrl') }}</th>
              <th scope="col">{{ t('models.catalog.credential') }}</th>
              <th scope="col">{{ t('models.catalog.state') }}</th>
              <th scope="col">{{ t('models.catalog.actions') }}</th>
            </tr>
          </thead>
          <tbody>
            @for (p of state.catalog()?.providers ?? []; track p.name) {
              <tr [attr.data-testid]="'provider-' + p.name">
                <th scope="row" class="mono">{{ p.name }}</th>
                <td>{{ cfg(p).type ?? '—' }}</td>
                <td class="mono">{{ cfg(p).baseUrl ?? '—' }}</td>
                <td class="mono" data-testid="provider-credential">
                  {{ cfg(p).apiKey ?? '—' }}
                  @if (!p.credential_readable) {
                    <span class="issue"> · {{ t('models.catalog.unreadable') }}</span>
                  }
                </td>
                <td>
                  {{ t('models.origin.' + p.source) }}
                  @if (p.disabled) {
                    · {{ t('models.catalog.disabled') }}
                  }
                </td>
                <td>
                  @if (!p.disabled) {
                    <button
                      mat-button
                      type="button"
                      (click)="editProvider(p)"
                      data-testid="provider-edit"
                      [attr.aria-label]="t('models.catalog.editProvider', { name: p.name })"
                    >
                      {{ t('models.catalog.edit') }}
                    </button>
                  }
                  @if (p.source === 'api') {
                    <button
                      mat-button
                      type="button"
                      (click)="removeEntry('providers', p)"
                      data-testid="provider-remove"
                      [attr.aria-label]="
                        t(p.overrides_file ? 'models.catalog.revertNamed' : 'models.catalog.deleteNamed', {
                          name: p.name,
                        })
                      "
                    >
                      {{ t(p.overrides_file ? 'models.catalog.revert' : 'models.catalog.delete') }}
                    </button>
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
        @if (provider(); as p) {
          <form
            class="editor"
            [formGroup]="providerForm"
            (ngSubmit)="saveProvider(p)"
            data-testid="provider-editor"
            aria-labelledby="provider-editor-title"
          >
            <h4 id="provider-editor-title">{{ t('models.catalog.editProvider', { name: p.name }) }}</h4>
            <mat-form-field class="wide">
              <mat-label>{{ t('models.catalog.baseUrl') }}</mat-label>
              <input matInput type="url" formControlName="baseUrl" autocomplete="off" data-testid="provider-base-url" />
            </mat-form-field>
            <mat-form-field class="wide">
              <mat-label>{{ t('models.catalog.newCredential') }}</mat-label>
              <input
                matInput
                type="password"
                formControlName="apiKey"
                autocomplete="new-password"
                data-testid="provider-api-key"
              />
              <mat-hint>{{
                p.source === 'file' && cfg(p).apiKey
                  ? t('models.catalog.credentialFileHint')
                  : t('models.catalog.credentialHint')
              }}</mat-hint>
              @if (providerForm.controls.apiKey.errors?.['required']) {
                <mat-error>{{ t('models.catalog.credentialFileHint') }}</mat-error>
              }
            </mat-form-field>
            <p role="alert" class="issue">{{ providerError() }}</p>
            <div class="actions">
              <button mat-button type="button" (click)="provider.set(null)">{{ t('common.cancel') }}</button>
              <button mat-flat-button type="submit" data-testid="provider-save">{{ t('models.catalog.save') }}</button>
            </div>
          </form>
        }
      </section>

      <section aria-labelledby="prices-title" data-testid="catalog-prices">
        <h3 id="prices-title">{{ t('models.catalog.prices') }}</h3>
        <p class="muted small">{{ t('models.catalog.pricesIntro') }}</p>
        <table class="simple" appStackedTable>
          <caption class="visually-hidden">
            {{
              t('models.catalog.prices')
            }}
          </caption>
          <thead>
            <tr>
              <th scope="col">{{ t('models.catalog.priceModel') }}</th>
              <th scope="col" class="num">{{ t('models.catalog.input') }}</th>
              <th scope="col" class="num">{{ t('models.catalog.output') }}</th>
              <th scope="col" class="num">{{ t('models.catalog.cached') }}</th>
              <th scope="col">{{ t('models.catalog.state') }}</th>
              <th scope="col">{{ t('models.catalog.actions') }}</th>
            </tr>
          </thead>
          <tbody>
            @for (p of state.catalog()?.pricing ?? []; track p.name) {
              <tr [attr.data-testid]="'price-' + p.name">
                <th scope="row" class="mono">{{ p.name }}</th>
                <td class="num">{{ price(p).input ?? '—' }}</td>
                <td class="num">{{ price(p).output ?? '—' }}</td>
                <td class="num">{{ price(p).cachedInput ?? '—' }}</td>
                <td>
                  {{ t('models.origin.' + p.source) }}
                  @if (p.disabled) {
                    · {{ t('models.catalog.disabled') }}
                  }
                </td>
                <td>
                  @if (!p.disabled) {
                    <button
                      mat-button
                      type="button"
                      (click)="editPrice(p.name, p)"
                      data-testid="price-edit"
                      [attr.aria-label]="t('models.catalog.editPrice', { name: p.name })"
                    >
                      {{ t('models.catalog.edit') }}
                    </button>
                  }
                  @if (p.source === 'api') {
                    <button
                      mat-button
                      type="button"
                      (click)="removeEntry('pricing', p)"
                      data-testid="price-remove"
                      [attr.aria-label]="
                        t(p.overrides_file ? 'models.catalog.revertNamed' : 'models.catalog.deleteNamed', {
                          name: p.name,
                        })
                      "
                    >
                      {{ t(p.overrides_file ? 'models.catalog.revert' : 'models.catalog.delete') }}
                    </button>
                  }
                </td>
              </tr>
            } @empty {
              <tr>
                <td colspan="6" class="muted">{{ t('models.catalog.noPrices') }}</td>
              </tr>
            }
          </tbody>
        </table>
        <button mat-button type="button" (click)="editPrice('', null)" data-testid="add-price">
          {{ t('models.catalog.addPrice') }}
        </button>
        @if (pricing() !== null) {
          <form
            class="editor"
            [formGroup]="priceForm"
            (ngSubmit)="savePrice()"
            data-testid="price-editor"
            aria-labelledby="price-editor-title"
          >
            <h4 id="price-editor-title">
              {{ pricing() ? t('models.catalog.editPrice', { name: pricing() }) : t('models.catalog.addPrice') }}
            </h4>
            <mat-form-field>
              <mat-label>{{ t('models.catalog.priceModel') }}</mat-label>
              <input
                matInput
                formControlName="name"
                [readonly]="!!pricing()"
                autocomplete="off"
                data-testid="price-name"
              />
            </mat-form-field>
            <mat-form-field class="narrow"
              ><mat-label>{{ t('models.catalog.input') }}</mat-label
              ><input matInput type="number" min="0" step="any" formControlName="input" data-testid="price-input"
            /></mat-form-field>
            <mat-form-field class="narrow"
              ><mat-label>{{ t('models.catalog.output') }}</mat-label
              ><input matInput type="number" min="0" step="any" formControlName="output" data-testid="price-output"
            /></mat-form-field>
            <mat-form-field class="narrow"
              ><mat-label>{{ t('models.catalog.cached') }}</mat-label
              ><input
                matInput
                type="number"
                min="0"
                step="any"
                formControlName="cachedInput"
                data-testid="price-cached"
            /></mat-form-field>
            <p role="alert" class="issue">{{ priceError() }}</p>
            <div class="actions">
              <button mat-button type="button" (click)="pricing.set(null)">{{ t('common.cancel') }}</button>
              <button mat-flat-button type="submit" data-testid="price-save">{{ t('models.catalog.save') }}</button>
            </div>
          </form>
        }
      </section>
    </ng-container>
  `,
  styles: `
    table.simple {
      width: 100%;
      border-collapse: collapse;
      margin-top: 8px;
    }
    @media (max-width: 599.98px) {
      table.simple th,
      table.simple td {
        text-align: end !important;
        padding-inline: 0;
      }
    }
    table.simple th,
    table.simple td {
      padding: 6px 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      text-align: start;
      vertical-align: middle;
    }
    .num {
      text-align: end !important;
      font-variant-numeric: tabular-nums;
    }
    .editor {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
      padding: 12px 16px;
      margin: 12px 0;
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: baseline;
    }
    .editor h4,
    .editor p,
    .editor .actions {
      flex-basis: 100%;
    }
    .wide {
      min-width: min(420px, 100%);
    }
    .narrow {
      width: 140px;
    }
    .issue {
      color: var(--mat-sys-error);
    }
    .small {
      font: var(--mat-sys-body-small);
    }
    .actions {
      display: flex;
      gap: 8px;
      justify-content: flex-end;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ProvidersPanel {
  readonly state = inject(CatalogState);
  private readonly confirm = inject(ConfirmService);
  private readonly i18n = inject(TranslocoService);
  readonly failed = output<unknown>();
  readonly provider = signal<CatalogEntry | null>(null);
  readonly providerError = signal('');
  /** The price being edited: its name, '' for a new one, null when closed. */
  readonly pricing = signal<string | null>(null);
  readonly priceError = signal('');
  private priceOriginal: Record<string, unknown> | null = null;

  readonly providerForm = new FormGroup({
    baseUrl: new FormControl('', { nonNullable: true }),
    apiKey: new FormControl('', { nonNullable: true }),
  });
  readonly priceForm = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
    input: new FormControl<number | null>(null, [Validators.required, Validators.min(0)]),
    output: new FormControl<number | null>(null, [Validators.min(0)]),
    cachedInput: new FormControl<number | null>(null, [Validators.min(0)]),
  });

  cfg(p: CatalogEntry): ProviderConfig {
    return (p.config ?? {}) as ProviderConfig;
  }
  price(p: CatalogEntry): Partial<PriceValue> {
    return (p.config ?? {}) as Partial<PriceValue>;
  }

  editProvider(p: CatalogEntry): void {
    this.providerError.set('');
    this.providerForm.reset({ baseUrl: this.cfg(p).baseUrl ?? '', apiKey: '' });
    // Overriding a file provider replaces it whole: its credential must be given again.
    this.providerForm.controls.apiKey.setValidators(
      p.source === 'file' && this.cfg(p).apiKey ? [Validators.required] : [],
    );
    this.providerForm.controls.apiKey.updateValueAndValidity();
    this.provider.set(p);
  }

  async saveProvider(p: CatalogEntry): Promise<void> {
    this.providerForm.markAllAsTouched();
    if (this.providerForm.invalid) return;
    try {
      await this.state.put('providers', p.name, providerEntry(this.cfg(p), this.providerForm.getRawValue()));
      this.provider.set(null);
    } catch (err) {
      this.providerError.set(err instanceof Error ? err.message : String(err));
      this.failed.emit(err);
    }
  }

  /** Removes an API provider or price after confirmation (the file's entry of the same name comes back). */
  async removeEntry(section: 'providers' | 'pricing', p: CatalogEntry): Promise<void> {
    const revert = p.overrides_file;
    const ok = await this.confirm.ask({
      title: this.i18n.translate(revert ? 'models.catalog.revertTitle' : 'models.catalog.deleteTitle', {
        name: p.name,
      }),
      message: this.i18n.translate(revert ? 'models.catalog.revertEntryBody' : `models.catalog.deleteEntry.${section}`),
      confirmLabel: this.i18n.translate(revert ? 'models.catalog.revert' : 'models.catalog.delete'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.state.remove(section, p.name);
    } catch (err) {
      this.failed.emit(err);
    }
  }

  editPrice(name: string, p: CatalogEntry | null): void {
    this.priceError.set('');
    const v = p ? this.price(p) : {};
    this.priceOriginal = (p?.config as Record<string, unknown> | null) ?? null;
    this.priceForm.reset({
      name,
      input: v.input ?? null,
      output: v.output ?? null,
      cachedInput: v.cachedInput ?? null,
    });
    this.pricing.set(name);
  }

  async savePrice(): Promise<void> {
    this.priceForm.markAllAsTouched();
    if (this.priceForm.invalid) return;
    const v = this.priceForm.getRawValue();
    try {
      await this.state.put(
        'pricing',
        v.name.trim(),
        priceEntry(this.priceOriginal, { input: v.input ?? 0, output: v.output ?? 0, cachedInput: v.cachedInput }),
      );
      this.pricing.set(null);
    } catch (err) {
      this.priceError.set(err instanceof Error ? err.message : String(err));
      this.failed.emit(err);
    }
  }
}
