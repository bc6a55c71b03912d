import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { formatMicros } from '../usage/money';
import { presetRange, resolveRange, type RangePreset } from '../usage/range';
import { formatMs, formatRatio, spentRatio } from './ratio';

/**
 * `/overview`: the current tenant at a glance over an explicit UTC day range (`from`/`to` in the
 * URL): requests, error rate, latency percentiles, cache hit ratio, spend today and this month
 * against the tenant budget, and the top keys, models and teams — one request
 * (`GET …/usage/summary`), so every figure is the usage API's.
 */
@Component({
  selector: 'app-overview-page',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, TranslocoDirective, PageState],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="overview-title">
      <div class="page-header">
        <h1 id="overview-title">{{ t('overview.title') }}</h1>
      </div>
      <form
        class="toolbar-row"
        (submit)="$event.preventDefault(); applyRange(from.value, to.value)"
        [attr.aria-label]="t('overview.rangeForm')"
      >
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('overview.from') }}</mat-label>
          <input matInput #from type="date" name="from" [value]="resolved().range.from" data-testid="overview-from" />
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('overview.to') }}</mat-label>
          <input matInput #to type="date" name="to" [value]="resolved().range.to" data-testid="overview-to" />
        </mat-form-field>
        <button mat-stroked-button type="submit" data-testid="overview-apply">{{ t('common.apply') }}</button>
        @for (p of presets; track p) {
          <button mat-button type="button" (click)="preset(p)">{{ t('overview.preset.' + p) }}</button>
        }
      </form>
      <p class="muted" data-testid="overview-range">
        {{ t('overview.rangeUtc', { from: resolved().range.from, to: resolved().range.to }) }}
      </p>
      @if (resolved().problem; as p) {
        <p class="error-text" role="alert">{{ t('overview.rangeProblem.' + p) }}</p>
      }

      <app-page-state
        [loading]="summary.loading()"
        [error]="summary.error()"
        [empty]="empty()"
        [emptyText]="t('overview.empty')"
        (retry)="summary.reload()"
      />

      @if (summary.value(); as s) {
        <dl class="cards" data-testid="overview-cards">
          <div class="card">
            <dt>{{ t('overview.requests') }}</dt>
            <dd data-testid="ov-requests" [attr.data-value]="s.requests">{{ count(s.requests) }}</dd>
          </div>
          <div class="card">
            <dt>{{ t('overview.errorRate') }}</dt>
            <dd data-testid="ov-error-rate" [attr.data-value]="s.error_rate">{{ ratio(s.error_rate) }}</dd>
          </div>
          <div class="card">
            <dt>{{ t('overview.p95') }}</dt>
            <dd data-testid="ov-p95" [attr.data-value]="s.latency.p95_ms">{{ ms(s.latency.p95_ms) }}</dd>
          </div>
          <div class="card">
            <dt>{{ t('overview.p50') }}</dt>
            <dd data-testid="ov-p50">{{ ms(s.latency.p50_ms) }}</dd>
          </div>
          <div class="card">
            <dt>{{ t('overview.cacheHitRatio') }}</dt>
            <dd data-testid="ov-cache" [attr.data-value]="s.cache_hit_ratio">{{ ratio(s.cache_hit_ratio) }}</dd>
          </div>
          <div class="card">
            <dt>{{ t('overview.spend') }}</dt>
            <dd data-testid="ov-spend" [attr.data-value]="s.cost_micros">{{ money(s.cost_micros) }}</dd>
          </div>
          <div class="card wide">
            <dt>{{ t('overview.overhead') }}</dt>
            <dd data-testid="ov-overhead" [attr.data-p50]="s.overhead.p50_ms" [attr.data-p95]="s.overhead.p95_ms">
              {{
                t('overview.overheadValue', { p50: overheadMs(s.overhead.p50_ms), p95: overheadMs(s.overhead.p95_ms) })
              }}
            </dd>
          </div>
        </dl>
        <p class="muted">{{ t('overview.overheadNote') }}</p>

        <section class="block" aria-labelledby="ov-budget">
          <h2 id="ov-budget">{{ t('overview.budget') }}</h2>
          <dl class="cards">
            @for (period of periods; track period) {
              @let b = s.budget.spend[period];
              <div class="card" [attr.data-testid]="'ov-budget-' + period">
                <dt>
                  {{ t('overview.period.' + period) }} <span class="muted">({{ b.period_key }} UTC)</span>
                </dt>
                <dd [attr.data-value]="b.spent_micros">
                  <span class="amount">{{ money(b.spent_micros) }}</span>
                  @if (b.hard_limit_micros !== null) {
                    <mat-progress-bar
                      mode="determinate"
                      [value]="(meter(b.spent_micros, b.hard_limit_micros) ?? 0) * 100"
                      [attr.aria-label]="
                        t('overview.ofLimit', { spent: money(b.spent_micros), limit: money(b.hard_limit_micros) })
                      "
                    />
                    <small>{{
                      t('overview.ofLimit', { spent: money(b.spent_micros), limit: money(b.hard_limit_micros) })
                    }}</small>
                  } @else {
                    <small class="muted">{{ t('overview.noLimit') }}</small>
                  }
                </dd>
              </div>
            }
          </dl>
        </section>

        <div class="tops">
          @for (list of topLists; track list) {
            <section class="block" [attr.aria-labelledby]="'ov-top-' + list">
              <h2 [id]="'ov-top-' + list">{{ t('overview.top.' + list) }}</h2>
              @if (s.top[list].length) {
                <table class="simple" [attr.data-testid]="'ov-top-' + list">
                  <caption class="visually-hidden">
                    {{
                      t('overview.topCaption', { what: t('overview.top.' + list) })
                    }}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">{{ t('overview.name') }}</th>
                      <th scope="col" class="num">{{ t('overview.requests') }}</th>
                      <th scope="col" class="num">{{ t('overview.spend') }}</th>
                    </tr>
                  </thead>
                  <tbody>
                    @for (row of s.top[list]; track row.id) {
                      <tr>
                        <td>
                          @if (nameOf(row); as name) {
                            <span [title]="row.id">{{ name }}</span><span class="id-sub mono muted">{{ row.id }}</span>
                          } @else {
                            <span class="mono">{{ row.id ?? t('overview.none') }}</span>
                          }
                        </td>
                        <td class="num">{{ count(row.requests) }}</td>
                        <td class="num">{{ money(row.cost_micros) }}</td>
                      </tr>
                    }
                  </tbody>
                </table>
              } @else {
                <p class="muted">{{ t('overview.empty') }}</p>
              }
            </section>
          }
        </div>
      }
    </section>
  `,
  styles: `
    .cards {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
      gap: 12px;
      margin: 16px 0;
    }
    .card {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 12px 16px;
    }
    /* "p50 14.69 ms · p95 78.33 ms" wraps onto three lines in one column: two columns where there are two. */
    @media (min-width: 480px) {
      .card.wide {
        grid-column: span 2;
      }
    }
    .card dt {
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .card dd {
      margin: 4px 0 8px;
      font: var(--mat-sys-title-large);
    }
    .card dd small {
      display: block;
      font: var(--mat-sys-body-small);
      margin-top: 4px;
    }
    /* A key's id under its name (the overview's top keys). */
    .id-sub {
      display: block;
      font-size: 12px;
    }
    .tops {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
      gap: 16px;
    }
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
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OverviewPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly presets: RangePreset[] = ['today', '7d', '30d', 'month'];
  readonly periods = ['daily', 'monthly'] as const;
  readonly topLists = ['keys', 'models', 'teams'] as const;

  /** A top entry's name when the API gives one (keys: null when deleted, so the id is shown). */
  nameOf(row: { id: string | null; name?: string | null }): string | null {
    return row.name ?? null;
  }

  readonly url = urlState({ from: '', to: '' });
  readonly resolved = computed(() => resolveRange(this.url.state().from, this.url.state().to, Date.now()));
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, ...this.resolved().range } : null;
  });
  readonly summary = dataResource(this.query, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/usage/summary', {
        params: { path: { tenantId: q.tenantId }, query: { from: q.from, to: q.to } },
      }),
    ),
  );
  readonly empty = computed(
    () => !this.summary.loading() && !this.summary.error() && (this.summary.value()?.requests ?? 0) === 0,
  );

  money(micros: number | null | undefined): string {
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
  /** The gateway's own time is a few milliseconds: shown to 0.01 ms, not rounded to 0 or 1. */
  overheadMs(v: number | null): string {
    return v === null
      ? '—'
      : `${new Intl.NumberFormat(this.lang.current(), { maximumFractionDigits: 2 }).format(v)} ms`;
  }
  meter(spent: number, limit: number | null): number | null {
    return spentRatio(spent, limit);
  }
  applyRange(from: string, to: string): void {
    void this.url.patch({ from, to });
  }
  preset(p: RangePreset): void {
    void this.url.patch(presetRange(p, Date.now()));
  }
}
