import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective } from '@jsverse/transloco';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { afterFigures } from './after-figures';
import { BehaviorApi } from './behavior-api';
import { dayCount } from '../usage/range';
import { decodeSteps, encodeSteps, rangeOf, TABLE_STYLES } from './behavior-range';
import { BehaviorPageHeader } from './behavior-page-header';
import { TrendsChart } from './trends-chart';

export const TREND_INTERVALS = ['hour', 'day', 'week', 'month'] as const;
type TrendInterval = (typeof TREND_INTERVALS)[number];
const MAX_HOURLY_DAYS = 31;

/**
 * `/behavior/trends`: events over time by event name, over an explicit UTC day range and a
 * granularity (all in the URL), as a chart and the same figures in a table. Every number is the
 * counts route's (`group_by=event`).
 */
@Component({
  selector: 'app-trends-page',
  imports: [MatFormFieldModule, MatSelectModule, TranslocoDirective, PageState, BehaviorPageHeader, TrendsChart],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="trends-title">
      <app-behavior-page-header
        titleId="trends-title"
        [subtitle]="t('behavior.trends.title')"
        [range]="resolved().range"
        [problem]="resolved().problem"
        [intervals]="intervals"
        [interval]="interval()"
        [intervalLabel]="t('behavior.trends.interval')"
        intervalTestId="trends-interval"
        (apply)="url.patch($event)"
        (intervalChange)="url.patch({ interval: $event })"
      >
        <mat-form-field subscriptSizing="dynamic" class="wide">
          <mat-label>{{ t('behavior.trends.events') }}</mat-label>
          <mat-select
            multiple
            [value]="events()"
            (selectionChange)="url.patch({ events: encode($event.value) })"
            data-testid="trends-events"
          >
            @for (e of known(); track e) {
              <mat-option [value]="e">{{ e }}</mat-option>
            }
          </mat-select>
          <mat-hint>{{ t('behavior.trends.eventsHint') }}</mat-hint>
        </mat-form-field>
      </app-behavior-page-header>
      @if (hourlyTooLong()) {
        <p class="error-text" role="alert">{{ t('behavior.trends.hourlyTooLong') }}</p>
      }
      <app-page-state
        [loading]="counts.loading()"
        [error]="counts.error()"
        [empty]="empty()"
        [emptyText]="t('behavior.trends.empty')"
        (retry)="counts.reload()"
      />
      @if (counts.value(); as c) {
        @if (!empty()) {
          <p data-testid="trends-total" [attr.data-value]="c.total" [attr.data-users]="users.value()?.users">
            {{ t('behavior.trends.total', { events: count(c.total), users: usersText() }) }}
          </p>
          <!-- ECharts is its own chunk, loaded once the page has rendered: the total and table never wait for it. -->
          @defer (on immediate) {
            <app-trends-chart
              [buckets]="buckets()"
              [series]="series()"
              [label]="t('behavior.trends.chartLabel', { from: c.from, to: c.to })"
            />
          } @placeholder {
            <div class="chart-pending"></div>
          }
          <div class="table-scroll">
            <table class="data-table" data-testid="trends-table">
              <caption>
                {{
                  t('behavior.trends.tableCaption', { interval: t('behavior.intervalNoun.' + interval()) })
                }}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{{ t('behavior.trends.bucket') }}</th>
                  @for (s of series(); track s.name) {
                    <th scope="col" class="num">{{ s.name }}</th>
                  }
                </tr>
              </thead>
              <tbody>
                @for (b of buckets(); track b; let i = $index) {
                  <tr [attr.data-bucket]="b">
                    <th scope="row" class="mono">{{ b }}</th>
                    @for (s of series(); track s.name) {
                      <td class="num" [attr.data-event]="s.name" [attr.data-value]="s.counts[i]">
                        {{ count(s.counts[i]) }}
                      </td>
                    }
                  </tr>
                }
              </tbody>
            </table>
          </div>
        }
      }
    </section>
  `,
  styles: [
    TABLE_STYLES,
    `
      .wide {
        min-width: 320px;
      }
      .table-scroll {
        overflow-x: auto;
        margin-top: 16px;
      }
      .chart-pending {
        height: 300px;
      }
    `,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TrendsPage {
  private readonly api = inject(BehaviorApi);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly intervals = TREND_INTERVALS;

  readonly url = urlState({ from: '', to: '', interval: 'day', events: '' });
  readonly resolved = rangeOf(this.url.state);
  private readonly asked = computed<TrendInterval>(() =>
    (TREND_INTERVALS as readonly string[]).includes(this.url.state().interval)
      ? (this.url.state().interval as TrendInterval)
      : 'day',
  );
  /** Hourly only up to 31 days (744 rows): longer ranges are shown by day, and the page says so. */
  readonly hourlyTooLong = computed(() => this.asked() === 'hour' && dayCount(this.resolved().range) > MAX_HOURLY_DAYS);
  readonly interval = computed<TrendInterval>(() => (this.hourlyTooLong() ? 'day' : this.asked()));
  readonly events = computed(() =>
    this.url.state().events ? decodeSteps(this.url.state().events).filter(Boolean).slice(0, 20) : [],
  );

  private readonly rangeQuery = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, ...this.resolved().range } : null;
  });
  /** Event names to choose from: the range's tracked events, plus any chosen in the URL. */
  readonly known = computed(() => [
    ...new Set([...(this.top.value()?.data ?? []).map((d) => d.event ?? '').filter(Boolean), ...this.events()]),
  ]);

  private readonly query = computed(() => {
    const r = this.rangeQuery();
    return r ? { ...r, interval: this.interval(), events: this.events() } : null;
  });
  /** The counts alone: the per-day totals answer them at once, so the table and chart paint first. */
  readonly counts = dataResource(this.query, (q) => this.api.counts(q.tenantId, q, false));
  /** The distinct users (a count over every user's days, the slow part), asked once the counts are shown. */
  readonly users = dataResource(
    computed(() => (this.counts.loading() || !this.counts.value() ? null : this.query())),
    (q) => this.api.counts(q.tenantId, q, true),
  );
  private readonly top = dataResource(afterFigures(this.rangeQuery, this.query, this.counts), (q) =>
    this.api.topEvents(q.tenantId, q),
  );
  /** The range's distinct users once counted ('…' meanwhile). */
  readonly usersText = computed(() => {
    const n = this.users.value()?.users;
    return n === undefined || this.users.loading() ? '…' : this.count(n);
  });
  readonly empty = computed(
    () => !this.counts.loading() && !this.counts.error() && (this.counts.value()?.total ?? 0) === 0,
  );
  readonly buckets = computed(() => this.counts.value()?.events[0]?.series.map((s) => s.bucket) ?? []);
  readonly series = computed(() =>
    [...(this.counts.value()?.events ?? [])]
      .sort((a, b) => b.total - a.total)
      .map((e) => ({ name: e.event ?? '—', counts: e.series.map((s) => s.count) })),
  );

  encode(events: string[]): string {
    return encodeSteps(events);
  }

  count(n: number | undefined): string {
    return (n ?? 0).toLocaleString(this.lang.current());
  }
}
