import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective } from '@jsverse/transloco';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { afterFigures } from './after-figures';
import { BehaviorApi } from './behavior-api';
import { percent, rangeOf, TABLE_STYLES } from './behavior-range';
import { BehaviorPageHeader } from './behavior-page-header';
import { heatColor } from './heat';

export const RETENTION_INTERVALS = ['day', 'week', 'month'] as const;
type RetentionInterval = (typeof RETENTION_INTERVALS)[number];

/**
 * `/behavior/retention`: cohorts by first-seen day, week or month (rows) × later periods (columns)
 * as a heat map that is a real table: every cell carries its rate and user count as text, the
 * color only repeats it. Values are the retention route's.
 */
@Component({
  selector: 'app-retention-page',
  imports: [MatFormFieldModule, MatInputModule, MatSelectModule, TranslocoDirective, PageState, BehaviorPageHeader],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="retention-title">
      <app-behavior-page-header
        titleId="retention-title"
        [subtitle]="t('behavior.retention.title')"
        [range]="resolved().range"
        [problem]="resolved().problem"
        [intervals]="intervals"
        [interval]="interval()"
        [intervalLabel]="t('behavior.retention.cohortBy')"
        intervalTestId="retention-interval"
        (apply)="url.patch($event)"
        (intervalChange)="url.patch({ interval: $event })"
      >
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('behavior.retention.periods') }}</mat-label>
          <input
            matInput
            type="number"
            min="1"
            max="60"
            [value]="periods()"
            (change)="setPeriods($any($event.target).value)"
            data-testid="retention-periods"
          />
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('behavior.retention.startEvent') }}</mat-label>
          <mat-select
            [value]="url.state().start"
            (selectionChange)="url.patch({ start: $event.value })"
            data-testid="retention-start"
          >
            <mat-option value="">{{ t('behavior.retention.anyEvent') }}</mat-option>
            @for (e of known(); track e) {
              <mat-option [value]="e">{{ e }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('behavior.retention.returnEvent') }}</mat-label>
          <mat-select
            [value]="url.state().ret"
            (selectionChange)="url.patch({ ret: $event.value })"
            data-testid="retention-return"
          >
            <mat-option value="">{{ t('behavior.retention.anyEvent') }}</mat-option>
            @for (e of known(); track e) {
              <mat-option [value]="e">{{ e }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
      </app-behavior-page-header>
      <app-page-state
        [loading]="retention.loading()"
        [error]="retention.error()"
        [empty]="empty()"
        [emptyText]="t('behavior.retention.empty')"
        (retry)="retention.reload()"
      />
      @if (retention.value(); as r) {
        @if (!empty()) {
          <div class="table-scroll">
            <table class="data-table heat" data-testid="retention-table">
              <caption>
                {{
                  t('behavior.retention.caption', {
                    interval: t('behavior.intervalNoun.' + r.interval),
                    from: resolved().range.from,
                    to: resolved().range.to,
                  })
                }}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{{ t('behavior.retention.cohort') }}</th>
                  <th scope="col" class="num">{{ t('behavior.retention.users') }}</th>
                  @for (p of periodList(); track p) {
                    <th scope="col" class="num">{{ t('behavior.retention.period', { n: p }) }}</th>
                  }
                </tr>
              </thead>
              <tbody>
                @for (c of r.cohorts; track c.cohort) {
                  <tr [attr.data-cohort]="c.cohort">
                    <th scope="row" class="mono">{{ c.cohort }}</th>
                    <td class="num" data-col="users" [attr.data-value]="c.users">{{ count(c.users) }}</td>
                    @for (p of periodList(); track p) {
                      @if (cell(c.retention, p); as x) {
                        <td
                          class="num cell"
                          [style.background]="color(x.rate)"
                          [attr.data-period]="p"
                          [attr.data-users]="x.users"
                          [attr.data-rate]="x.rate"
                        >
                          {{ pct(x.rate) }}<br /><span class="small">{{
                            t('behavior.retention.nUsers', { n: count(x.users) })
                          }}</span>
                        </td>
                      } @else {
                        <td class="num" [attr.data-period]="p">
                          <span class="visually-hidden">{{ t('behavior.retention.future') }}</span>
                        </td>
                      }
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
      .table-scroll {
        overflow-x: auto;
        margin-top: 16px;
      }
      table.heat td.cell {
        color: #000;
      }
      .small {
        font-size: 12px;
      }
    `,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RetentionPage {
  private readonly api = inject(BehaviorApi);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  readonly intervals = RETENTION_INTERVALS;
  readonly color = heatColor;

  readonly url = urlState({ from: '', to: '', interval: 'week', periods: 8, start: '', ret: '' });
  readonly resolved = rangeOf(this.url.state);
  readonly interval = computed<RetentionInterval>(() =>
    (RETENTION_INTERVALS as readonly string[]).includes(this.url.state().interval)
      ? (this.url.state().interval as RetentionInterval)
      : 'week',
  );
  readonly periods = computed(() => Math.min(60, Math.max(1, Math.floor(this.url.state().periods) || 8)));
  readonly periodList = computed(() => Array.from({ length: this.periods() }, (_, i) => i));

  private readonly rangeQuery = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, ...this.resolved().range } : null;
  });
  readonly known = computed(() => (this.top.value()?.data ?? []).map((d) => d.event ?? '').filter(Boolean));

  private readonly query = computed(() => {
    const r = this.rangeQuery();
    const s = this.url.state();
    return r
      ? {
          ...r,
          interval: this.interval(),
          periods: this.periods(),
          start_event: s.start || undefined,
          return_event: s.ret || undefined,
        }
      : null;
  });
  readonly retention = dataResource(this.query, (q) => this.api.retention(q.tenantId, q));
  private readonly top = dataResource(afterFigures(this.rangeQuery, this.query, this.retention), (q) =>
    this.api.topEvents(q.tenantId, q),
  );
  readonly empty = computed(
    () => !this.retention.loading() && !this.retention.error() && (this.retention.value()?.cohorts.length ?? 0) === 0,
  );

  cell(list: { period: number; users: number; rate: number }[], period: number) {
    return list.find((x) => x.period === period);
  }

  setPeriods(value: string): void {
    const n = Math.floor(Number(value));
    if (Number.isFinite(n) && n >= 1 && n <= 60) void this.url.patch({ periods: n });
  }

  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }

  pct(rate: number): string {
    return percent(rate, this.lang.current());
  }
}
