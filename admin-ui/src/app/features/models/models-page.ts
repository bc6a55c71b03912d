import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { dataResource } from '../usage/data-resource';
import { LanguageService } from '../../core/i18n/language.service';
import { formatPrice, type PriceView } from './price';
import { CatalogPanel } from './catalog/catalog-panel';

/**
 * `/models`: every alias the tenant may use (a superadmin: all), each deployment's provider, model,
 * weight, price and its source, breaker state and average time to first byte — this instance's, as
 * the API says. Filter by alias in the URL (`q`). Platform admins (`editable`) also get the live
 * catalog's editor below the table: aliases, providers, prices and revisions.
 */
@Component({
  selector: 'app-models-page',
  imports: [MatFormFieldModule, MatInputModule, TranslocoDirective, PageState, StackedTable, CatalogPanel],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="models-title">
      <div class="page-header">
        <h1 id="models-title">{{ t('models.title') }}</h1>
      </div>
      <p class="muted">{{ t('models.readOnly') }}</p>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>{{ t('models.filter') }}</mat-label>
        <input
          matInput
          type="search"
          [value]="url.state().q"
          (change)="filter($any($event.target).value)"
          data-testid="models-filter"
        />
      </mat-form-field>

      <app-page-state
        [loading]="data.loading()"
        [error]="data.error()"
        [empty]="empty()"
        [emptyText]="t('models.empty')"
        (retry)="data.reload()"
      />

      @if (data.value(); as d) {
        <p class="muted small">{{ t('models.scope.' + d.scope) }}</p>
        <table class="simple" data-testid="models-table" appStackedTable>
          <caption class="visually-hidden">
            {{
              t('models.caption')
            }}
          </caption>
          <thead>
            <tr>
              <th scope="col">{{ t('models.alias') }}</th>
              <th scope="col">{{ t('models.deployment') }}</th>
              <th scope="col">{{ t('models.provider') }}</th>
              <th scope="col" class="num">{{ t('models.weight') }}</th>
              <th scope="col">{{ t('models.price') }}</th>
              <th scope="col">{{ t('models.breaker') }}</th>
              <th scope="col" class="num">{{ t('models.latency') }}</th>
            </tr>
          </thead>
          <tbody>
            @for (row of rows(); track row.key) {
              <tr [attr.data-testid]="'model-' + row.alias" [attr.data-deployment]="row.dep.id">
                <th scope="row" class="mono">
                  {{ row.alias }}
                  @if (row.variant) {
                    <span class="muted">· {{ t('models.variant', { name: row.variant }) }}</span>
                  }
                  @if (row.fallbacks.length) {
                    <span class="muted small block">{{
                      t('models.fallbacks', { list: row.fallbacks.join(', ') })
                    }}</span>
                  }
                  <span class="muted small block" data-testid="model-origin" [attr.data-origin]="row.source">{{
                    t('models.origin.' + row.source)
                  }}</span>
                </th>
                <td class="mono">{{ row.dep.model }}</td>
                <td>
                  {{ row.dep.provider }} <span class="muted">({{ row.dep.provider_type }})</span>
                </td>
                <td class="num">{{ row.dep.weight }}</td>
                <td
                  data-testid="model-price"
                  [attr.data-input]="row.dep.price?.input"
                  [attr.data-source]="row.dep.price?.source ?? 'none'"
                >
                  @if (price(row.dep.price); as p) {
                    {{ p }}
                    <span class="muted small"
                      >{{ t('models.perMillion') }} · {{ t('models.source.' + row.dep.price!.source) }}</span
                    >
                  } @else {
                    <span class="muted">{{ t('models.unpriced') }}</span>
                  }
                </td>
                <td data-testid="model-breaker" [class.bad]="row.dep.breaker !== 'closed'">
                  {{ t('models.state.' + row.dep.breaker) }}
                </td>
                <td class="num">{{ row.dep.latency_ms === null ? '—' : row.dep.latency_ms + ' ms' }}</td>
              </tr>
            }
          </tbody>
        </table>
      }
      <!-- Platform admins edit the live catalog here; others get no controls (the server refuses them anyway). -->
      @if (editable()) {
        <app-catalog-panel (changed)="data.reload()" />
      }
    </section>
  `,
  styles: `
    table.simple {
      width: 100%;
      border-collapse: collapse;
      margin-top: 12px;
    }
    table.simple th,
    table.simple td {
      padding: 6px 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      text-align: start;
      vertical-align: top;
    }
    .num {
      text-align: end !important;
      font-variant-numeric: tabular-nums;
    }
    .small {
      font: var(--mat-sys-body-small);
    }
    .block {
      display: block;
    }
    .bad {
      color: var(--mat-sys-error);
      font-weight: 600;
    }
    /* Stacked cards on a phone (appStackedTable): values at the line's end, like every list. */
    @media (max-width: 599.98px) {
      table.simple th,
      table.simple td {
        text-align: end;
        padding-inline: 0;
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ModelsPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly url = urlState({ q: '' });
  private readonly tenant = computed(() => this.session.tenantId() || null);
  readonly data = dataResource(this.tenant, (tenantId) =>
    this.api.call(this.api.client.GET('/admin/v1/tenants/{tenantId}/models', { params: { path: { tenantId } } })),
  );
  /** One row per deployment of an alias (experiment aliases: per variant's deployment), filtered by `q`. */
  readonly rows = computed(() => {
    const q = this.url.state().q.trim().toLowerCase();
    const out = [];
    for (const a of this.data.value()?.aliases ?? []) {
      if (q && !a.alias.toLowerCase().includes(q)) continue;
      for (const dep of a.deployments)
        out.push({
          key: `${a.alias}|${dep.id}`,
          alias: a.alias,
          source: a.source,
          variant: null as string | null,
          fallbacks: a.fallbacks,
          dep,
        });
      for (const v of a.variants)
        for (const dep of v.deployments)
          out.push({
            key: `${a.alias}|${v.name}|${dep.id}`,
            alias: a.alias,
            source: a.source,
            variant: v.name as string | null,
            fallbacks: [] as string[],
            dep,
          });
    }
    return out;
  });
  /** The caller may change the catalog (a platform superadmin), as the models answer says. */
  readonly editable = computed(() => this.data.value()?.editable === true);
  readonly empty = computed(() => !this.data.loading() && !this.data.error() && this.rows().length === 0);

  filter(q: string): void {
    void this.url.patch({ q });
  }
  price(p: PriceView | null): string | null {
    return formatPrice(p, this.lang.current());
  }
}
