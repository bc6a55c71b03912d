import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  output,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { StackedTable } from '../../../shared/stacked-table/stacked-table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ConfirmService } from '../../../shared/confirm-dialog/confirm.service';
import { AliasEditor } from './alias-editor';
import { type AliasEntry } from './alias-form';
import { catalogSection } from './catalog-section';
import { CatalogState, type CatalogEntry } from './catalog-state';
import { ProvidersPanel } from './providers-panel';
import { RevisionsPanel } from './revisions-panel';

/**
 * The live catalog's model aliases for platform admins: add or edit an alias, disable or enable a
 * file entry, delete an API entry (revert to the file's when it overrides one), then providers,
 * prices and the revision history. Every destructive action asks first; a change made meanwhile
 * by someone else is reported (412/409) rather than overwritten.
 */
@Component({
  selector: 'app-catalog-panel',
  imports: [StackedTable, MatButtonModule, TranslocoDirective, AliasEditor, ProvidersPanel, RevisionsPanel],
  providers: [CatalogState],
  template: `
    <section class="catalog" *transloco="let t" aria-labelledby="catalog-title" data-testid="catalog-panel">
      <div class="head">
        <h2 id="catalog-title">{{ t('models.catalog.title') }}</h2>
        @if (state.catalog(); as c) {
          <span class="muted small" data-testid="catalog-revision" [attr.data-revision]="c.revision">{{
            t('models.catalog.revision', { n: c.revision })
          }}</span>
        }
        <span class="spacer"></span>
        <button mat-stroked-button type="button" (click)="open('')" data-testid="add-alias">
          {{ t('models.catalog.addAlias') }}
        </button>
      </div>
      <p class="muted">{{ t('models.catalog.intro') }}</p>
      <div role="alert" data-testid="catalog-message">
        @if (aliases.failure() === 'stale') {
          <p class="issue">
            {{ t('models.catalog.stale') }}
            <button mat-button type="button" (click)="reload()" data-testid="catalog-reload">
              {{ t('models.catalog.reload') }}
            </button>
          </p>
        } @else if (aliases.message(); as m) {
          <p class="issue">{{ m }}</p>
        }
      </div>

      <!-- Tracked by identity: opening another alias makes a new editor, filled from that alias. -->
      @for (e of editors(); track e) {
        <app-alias-editor
          [name]="e.name"
          [entry]="e.entry"
          [providers]="providerNames()"
          (closed)="closeEditor()"
          (saved)="closeEditor()"
        />
      }

      @if (state.catalog(); as c) {
        <table class="simple" data-testid="catalog-models" appStackedTable>
          <caption class="visually-hidden">
            {{
              t('models.catalog.aliasesCaption')
            }}
          </caption>
          <thead>
            <tr>
              <th scope="col">{{ t('models.alias') }}</th>
              <th scope="col">{{ t('models.catalog.state') }}</th>
              <th scope="col">{{ t('models.catalog.actions') }}</th>
            </tr>
          </thead>
          <tbody>
            @for (m of c.models; track m.name) {
              <tr
                [attr.data-testid]="'catalog-' + m.name"
                [attr.data-name]="m.name"
                [attr.data-source]="m.source"
                [attr.data-disabled]="m.disabled"
              >
                <th scope="row" class="mono">{{ m.name }}</th>
                <td>
                  {{ t('models.origin.' + m.source) }}
                  @if (m.overrides_file) {
                    · {{ t('models.catalog.overrides') }}
                  }
                  @if (m.disabled) {
                    · <strong>{{ t('models.catalog.disabled') }}</strong>
                  }
                </td>
                <td class="actions">
                  @if (!m.disabled) {
                    <button
                      mat-button
                      type="button"
                      (click)="open(m.name, m)"
                      data-testid="edit"
                      [attr.aria-label]="t('models.catalog.editAlias', { name: m.name })"
                    >
                      {{ t('models.catalog.edit') }}
                    </button>
                  }
                  @if (m.disabled) {
                    <button
                      mat-button
                      type="button"
                      (click)="enable(m)"
                      data-testid="enable"
                      [attr.aria-label]="t('models.catalog.enableNamed', { name: m.name })"
                    >
                      {{ t('models.catalog.enable') }}
                    </button>
                  } @else if (m.source === 'file') {
                    <button
                      mat-button
                      type="button"
                      (click)="disable(m)"
                      data-testid="disable"
                      [attr.aria-label]="t('models.catalog.disableNamed', { name: m.name })"
                    >
                      {{ t('models.catalog.disable') }}
                    </button>
                  } @else if (m.overrides_file) {
                    <button
                      mat-button
                      type="button"
                      (click)="aliases.remove(m)"
                      data-testid="revert"
                      [attr.aria-label]="t('models.catalog.revertNamed', { name: m.name })"
                    >
                      {{ t('models.catalog.revert') }}
                    </button>
                  } @else {
                    <button
                      mat-button
                      type="button"
                      class="danger"
                      (click)="aliases.remove(m)"
                      data-testid="delete"
                      [attr.aria-label]="t('models.catalog.deleteNamed', { name: m.name })"
                    >
                      {{ t('models.catalog.delete') }}
                    </button>
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
        <app-providers-panel (failed)="aliases.failed($event)" />
        <app-revisions-panel (failed)="aliases.failed($event)" />
      }
    </section>
  `,
  styleUrl: './catalog-table.scss',
  styles: `
    .catalog {
      margin-top: 24px;
    }
    .head {
      display: flex;
      align-items: baseline;
      gap: 12px;
      flex-wrap: wrap;
    }
    .spacer {
      flex: 1;
    }
    .issue {
      color: var(--mat-sys-error);
    }
    .danger {
      color: var(--mat-sys-error);
    }
    .small {
      font: var(--mat-sys-body-small);
    }
    .catalog > table.simple {
      margin-top: 12px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CatalogPanel {
  readonly state = inject(CatalogState);
  private readonly confirm = inject(ConfirmService);
  private readonly i18n = inject(TranslocoService);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  /** Emitted after every stored change so the models table above reloads. */
  readonly changed = output<void>();
  /** The aliases; its failure is the banner of the whole catalog (providers' and revisions' failures land there too). */
  readonly aliases = catalogSection<{ name: string; entry: AliasEntry | null }>('models', {
    deleteBody: 'models.catalog.deleteBody',
    revertBody: 'models.catalog.revertBody',
  });
  readonly editors = computed(() => {
    const e = this.aliases.editing();
    return e ? [e] : [];
  });
  readonly providerNames = computed(() =>
    (this.state.catalog()?.providers ?? []).filter((p) => !p.disabled).map((p) => p.name),
  );

  constructor() {
    void this.reload();
    // Every stored change (alias, provider, price, rollback) refreshes the models table above.
    effect(() => {
      if (this.state.changes() > 0) this.changed.emit();
    });
  }

  async reload(): Promise<void> {
    await this.aliases.run(() => this.state.load());
  }

  open(name: string, m?: CatalogEntry): void {
    this.aliases.open({ name, entry: (m?.config as AliasEntry | null) ?? null });
  }

  /** Closes the editor and puts focus back where it was opened from (the alias' Edit button, or Add alias). */
  closeEditor(): void {
    const name = this.aliases.editing()?.name;
    this.aliases.close();
    afterNextRender(
      () => {
        const host = this.host.nativeElement;
        const row = name
          ? [...host.querySelectorAll<HTMLElement>('[data-testid=catalog-models] tbody tr')].find(
              (r) => r.dataset['name'] === name,
            )
          : undefined;
        (
          row?.querySelector<HTMLElement>('[data-testid=edit]') ??
          host.querySelector<HTMLElement>('[data-testid=add-alias]')
        )?.focus();
      },
      { injector: this.injector },
    );
  }

  async disable(m: CatalogEntry): Promise<void> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('models.catalog.disableTitle', { name: m.name }),
      message: this.i18n.translate('models.catalog.disableBody'),
      confirmLabel: this.i18n.translate('models.catalog.disable'),
      destructive: true,
    });
    if (ok) await this.aliases.run(() => this.state.put('models', m.name, { disabled: true }));
  }

  async enable(m: CatalogEntry): Promise<void> {
    await this.aliases.run(() => this.state.remove('models', m.name));
  }
}
