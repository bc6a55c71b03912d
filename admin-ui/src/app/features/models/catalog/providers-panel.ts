import { ChangeDetectionStrategy, Component, inject, output } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { StackedTable } from '../../../shared/stacked-table/stacked-table';
import { TranslocoDirective } from '@jsverse/transloco';
import { providerEntry, priceEntry, type PriceValue, type ProviderConfig } from './provider-form';
import { catalogSection } from './catalog-section';
import { EntryActions } from './entry-actions';
import { CatalogState, type CatalogEntry } from './catalog-state';

/**
 * Providers (credentials masked; a new one is write-only, never shown back) and prices per 1M
 * tokens, each with its source, for platform admins. Saved with If-Match like every catalog change.
 */
@Component({
  selector: 'app-providers-panel',
  imports: [
    StackedTable,
    ReactiveFormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    TranslocoDirective,
    EntryActions,
  ],
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
                  <app-entry-actions
                    [entry]="p"
                    kind="provider"
                    editLabel="models.catalog.editProvider"
                    (edit)="editProvider(p)"
                    (remove)="providers.remove(p)"
                  />
                </td>
              </tr>
            }
          </tbody>
        </table>
        @if (providers.editing(); as p) {
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
            <p role="alert" class="issue">{{ providers.message() }}</p>
            <div class="actions">
              <button mat-button type="button" (click)="providers.close()">{{ t('common.cancel') }}</button>
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
                  <app-entry-actions
                    [entry]="p"
                    kind="price"
                    editLabel="models.catalog.editPrice"
                    (edit)="editPrice(p.name, p)"
                    (remove)="prices.remove(p)"
                  />
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
        @if (prices.editing() !== null) {
          <form
            class="editor"
            [formGroup]="priceForm"
            (ngSubmit)="savePrice()"
            data-testid="price-editor"
            aria-labelledby="price-editor-title"
          >
            <h4 id="price-editor-title">
              {{
                prices.editing()
                  ? t('models.catalog.editPrice', { name: prices.editing() })
                  : t('models.catalog.addPrice')
              }}
            </h4>
            <mat-form-field>
              <mat-label>{{ t('models.catalog.priceModel') }}</mat-label>
              <input
                matInput
                formControlName="name"
                [readonly]="!!prices.editing()"
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
            <p role="alert" class="issue">{{ prices.message() }}</p>
            <div class="actions">
              <button mat-button type="button" (click)="prices.close()">{{ t('common.cancel') }}</button>
              <button mat-flat-button type="submit" data-testid="price-save">{{ t('models.catalog.save') }}</button>
            </div>
          </form>
        }
      </section>
    </ng-container>
  `,
  styleUrl: './catalog-table.scss',
  styles: `
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
  /** Every failed change, for the catalog's banner. */
  readonly failed = output<unknown>();
  /** The provider open in its editor. */
  readonly providers = catalogSection('providers', { failed: (err) => this.failed.emit(err) });
  /** The price open in its editor: its name, '' for a new one. */
  readonly prices = catalogSection<string>('pricing', { failed: (err) => this.failed.emit(err) });
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
    this.providerForm.reset({ baseUrl: this.cfg(p).baseUrl ?? '', apiKey: '' });
    // Overriding a file provider replaces it whole: its credential must be given again.
    this.providerForm.controls.apiKey.setValidators(
      p.source === 'file' && this.cfg(p).apiKey ? [Validators.required] : [],
    );
    this.providerForm.controls.apiKey.updateValueAndValidity();
    this.providers.open(p);
  }

  async saveProvider(p: CatalogEntry): Promise<void> {
    this.providerForm.markAllAsTouched();
    if (this.providerForm.invalid) return;
    await this.providers.save(p.name, providerEntry(this.cfg(p), this.providerForm.getRawValue()));
  }

  editPrice(name: string, p: CatalogEntry | null): void {
    const v = p ? this.price(p) : {};
    this.priceOriginal = (p?.config as Record<string, unknown> | null) ?? null;
    this.priceForm.reset({
      name,
      input: v.input ?? null,
      output: v.output ?? null,
      cachedInput: v.cachedInput ?? null,
    });
    this.prices.open(name);
  }

  async savePrice(): Promise<void> {
    this.priceForm.markAllAsTouched();
    if (this.priceForm.invalid) return;
    const v = this.priceForm.getRawValue();
    await this.prices.save(
      v.name.trim(),
      priceEntry(this.priceOriginal, { input: v.input ?? 0, output: v.output ?? 0, cachedInput: v.cachedInput }),
    );
  }
}
