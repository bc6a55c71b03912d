import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { formatMs, formatRatio } from '../overview/ratio';
import { dataResource } from '../usage/data-resource';
import { formatMicros } from '../usage/money';
import { formatP, verdictOf, type Significance } from './verdict';

const DAY = 86_400_000;

/**
 * `/experiments`: per experiment and variant, requests, error rate, average latency, cost and
 * feedback since `days` ago (in the URL), and whether the variant's error rate differs from the
 * baseline's — the server's two-proportion z-test with its p-value. One request per view.
 * Read-only: experiments are configured in the ai plugin's config today.
 */
@Component({
  selector: 'app-experiments-page',
  imports: [MatButtonToggleModule, TranslocoDirective, PageState],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="exp-title">
      <div class="page-header">
        <h1 id="exp-title">{{ t('experiments.title') }}</h1>
      </div>
      <p class="muted">{{ t('experiments.readOnly') }}</p>
      <mat-button-toggle-group
        [value]="days()"
        (change)="setDays($event.value)"
        [attr.aria-label]="t('experiments.window')"
        data-testid="exp-window"
      >
        @for (d of windows; track d) {
          <mat-button-toggle [value]="d">{{ t('experiments.days', { n: d }) }}</mat-button-toggle>
        }
      </mat-button-toggle-group>

      <app-page-state
        [loading]="data.loading()"
        [error]="data.error()"
        [empty]="empty()"
        [emptyText]="t('experiments.empty')"
        (retry)="data.reload()"
      />

      @if (data.value(); as d) {
        <p class="muted">{{ t('experiments.since', { since: d.since }) }}</p>
        @for (e of d.experiments; track e.name) {
          <section class="block" [attr.aria-labelledby]="'exp-' + $index" [attr.data-testid]="'exp-' + e.name">
            <h2 [id]="'exp-' + $index">
              {{ e.name }}
              <span class="muted small">
                {{ t('experiments.alias') }}: <span class="mono">{{ e.alias ?? '—' }}</span> ·
                {{ e.enabled ? t('experiments.enabled') : t('experiments.disabled') }}
                @if (e.sticky_by) {
                  · {{ t('experiments.stickyBy', { by: e.sticky_by }) }}
                }
              </span>
            </h2>
            <table class="simple">
              <caption class="visually-hidden">
                {{
                  t('experiments.caption', { name: e.name })
                }}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{{ t('experiments.variant') }}</th>
                  <th scope="col" class="num">{{ t('experiments.weight') }}</th>
                  <th scope="col" class="num">{{ t('experiments.requests') }}</th>
                  <th scope="col" class="num">{{ t('experiments.errorRate') }}</th>
                  <th scope="col" class="num">{{ t('experiments.latency') }}</th>
                  <th scope="col" class="num">{{ t('experiments.cost') }}</th>
                  <th scope="col" class="num">{{ t('experiments.feedback') }}</th>
                  <th scope="col">{{ t('experiments.significance') }}</th>
                </tr>
              </thead>
              <tbody>
                @for (v of e.variants; track v.name) {
                  <tr [attr.data-testid]="'variant-' + v.name">
                    <th scope="row" class="mono">
                      {{ v.name }}
                      @if (!v.configured) {
                        <span class="muted">({{ t('experiments.removed') }})</span>
                      }
                    </th>
                    <td class="num">{{ v.weight }}</td>
                    <td class="num" data-testid="variant-requests" [attr.data-value]="v.requests">
                      {{ count(v.requests) }}
                    </td>
                    <td class="num">{{ ratio(v.error_rate) }}</td>
                    <td class="num">{{ ms(v.avg_latency_ms) }}</td>
                    <td class="num">{{ money(v.cost_micros) }}</td>
                    <td class="num">
                      {{ v.feedback.avg_score === null ? '—' : v.feedback.avg_score.toFixed(2) }}
                      <span class="muted">(n={{ v.feedback.count }})</span>
                    </td>
                    <td data-testid="variant-significance" [attr.data-verdict]="verdict(v.significance)">
                      {{ t('experiments.verdict.' + verdict(v.significance)) }}
                      @if (v.significance; as s) {
                        @if (s.p_value !== null) {
                          <span class="muted">(p = {{ p(s.p_value) }})</span>
                        }
                      }
                    </td>
                  </tr>
                }
              </tbody>
            </table>
          </section>
        }
        <p class="muted small">{{ t('experiments.testNote') }}</p>
      }
    </section>
  `,
  styles: `
    table.simple {
      width: 100%;
      border-collapse: collapse;
    }
    table.simple th,
    table.simple td {
      padding: 6px 8px;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      text-align: start;
    }
    .num {
      text-align: end !important;
      font-variant-numeric: tabular-nums;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    .small {
      font: var(--mat-sys-body-small);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ExperimentsPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly windows = [7, 30, 90];

  readonly url = urlState({ days: 30 });
  readonly days = computed(() =>
    this.windows.includes(Number(this.url.state().days)) ? Number(this.url.state().days) : 30,
  );
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    // Whole minutes, so the same view asks the same question (and re-renders do not re-fetch).
    const since = new Date(Math.floor((Date.now() - this.days() * DAY) / 60_000) * 60_000).toISOString();
    return tenantId ? { tenantId, since } : null;
  });
  readonly data = dataResource(this.query, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/experiments', {
        params: { path: { tenantId: q.tenantId }, query: { since: q.since } },
      }),
    ),
  );
  readonly empty = computed(
    () => !this.data.loading() && !this.data.error() && (this.data.value()?.experiments.length ?? 0) === 0,
  );

  setDays(d: number): void {
    void this.url.patch({ days: d });
  }
  verdict(s: Significance | null): string {
    return verdictOf(s);
  }
  p(v: number | null): string {
    return formatP(v);
  }
  money(micros: number): string {
    return formatMicros(micros, this.lang.current());
  }
  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }
  ratio(r: number | null): string {
    return formatRatio(r, this.lang.current());
  }
  ms(v: number | null): string {
    return formatMs(v, this.lang.current());
  }
}
