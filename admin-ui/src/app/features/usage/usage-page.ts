import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { SubjectOptions } from '../limits/subject-options';
import { dataResource } from './data-resource';
import { saveBlob, type Invoice } from './invoice';
import { formatMicros } from './money';
import { isMonth, presetRange, resolveRange, utcMonth, type RangePreset } from './range';
import { UsageChart } from './usage-chart';

export const USAGE_DIMENSIONS = ['day', 'model', 'key', 'team', 'provider'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/**
 * `/usage`: usage and spend of the current tenant over an explicit UTC day range (`from`/`to` in
 * the URL), totals, the daily chart, a breakdown by day, model, key, team or provider, the CSV
 * export of the same range, and the invoice of a UTC month. Every figure is the usage API's.
 */
@Component({
  selector: 'app-usage-page',
  imports: [
    MatButtonModule,
    MatButtonToggleModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    PageState,
    UsageChart,
    StackedTable,
  ],
  providers: [SubjectOptions],
  templateUrl: './usage-page.html',
  styles: `
    .cards {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
      gap: 12px;
      margin: 16px 0;
    }
    .card {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 12px 16px;
    }
    .card dt {
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .card dd {
      margin: 4px 0 0;
      font: var(--mat-sys-title-large);
    }
    .num {
      text-align: end;
      font-variant-numeric: tabular-nums;
    }
    .id-sub {
      display: block;
      font-size: 12px;
    }
    /* Its buttons wrap too when the group alone is wider than the screen (390 px phones). */
    .presets {
      display: flex;
      flex-wrap: wrap;
      gap: 4px;
      max-width: 100%;
      min-width: 0;
    }
    .presets button {
      white-space: nowrap;
    }
    section.block {
      margin-top: 24px;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    /* The chart's height, kept while its chunk loads so nothing below it moves when it arrives. */
    .chart-pending {
      height: 280px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsagePage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  readonly lang = inject(LanguageService);
  private readonly subjects = inject(SubjectOptions);
  readonly dimensions = USAGE_DIMENSIONS;
  readonly presets: RangePreset[] = ['today', '7d', '30d', 'month', 'lastMonth'];

  readonly url = urlState({ from: '', to: '', by: 'day', month: '' });
  /** The range actually asked for (the URL's when valid, else the last 30 days) and why not. */
  readonly resolved = computed(() => resolveRange(this.url.state().from, this.url.state().to, Date.now()));
  readonly by = computed<UsageDimension>(() =>
    (USAGE_DIMENSIONS as readonly string[]).includes(this.url.state().by)
      ? (this.url.state().by as UsageDimension)
      : 'day',
  );
  readonly month = computed(() => (isMonth(this.url.state().month) ? this.url.state().month : utcMonth(Date.now())));

  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, ...this.resolved().range, by: this.by() } : null;
  });
  readonly usage = dataResource(this.query, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/usage', {
        params: { path: { tenantId: q.tenantId }, query: { from: q.from, to: q.to, group_by: q.by } },
      }),
    ),
  );
  /** The daily series for the chart: the main query when it is by day, else a second day query. */
  private readonly dayQuery = computed(() => {
    const q = this.query();
    return q && q.by !== 'day' ? q : null;
  });
  private readonly days = dataResource(this.dayQuery, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/usage', {
        params: { path: { tenantId: q.tenantId }, query: { from: q.from, to: q.to, group_by: 'day' } },
      }),
    ),
  );
  readonly series = computed(() => {
    const source = this.by() === 'day' ? this.usage.value() : this.days.value();
    return (source?.data ?? []).map((d) => ({
      day: d.day ?? '',
      cost_micros: d.cost_micros,
      total_tokens: d.total_tokens,
      requests: d.requests,
    }));
  });
  readonly rows = computed(() => this.usage.value()?.data ?? []);
  readonly empty = computed(
    () => !this.usage.loading() && !this.usage.error() && (this.usage.value()?.totals.requests ?? 0) === 0,
  );
  readonly columns = ['label', 'requests', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'cost'];

  private readonly invoiceQuery = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, period: this.month() } : null;
  });
  readonly invoice = dataResource(
    this.invoiceQuery,
    async (q) =>
      (await this.api.call(
        this.api.client.GET('/admin/v1/tenants/{tenantId}/invoices/{period}', {
          params: { path: { tenantId: q.tenantId, period: q.period } },
        }),
      )) as unknown as Invoice,
  );
  readonly invoiceColumns = ['model', 'requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'amount'];

  readonly exporting = signal(false);
  readonly exportError = signal<string | null>(null);

  constructor() {
    // Team names for the breakdown (ids are shown while they load, or for deleted teams). Keys are
    // named by the usage answer itself (key_name), so the key list is not loaded.
    const tenantId = this.session.tenantId();
    if (tenantId) void this.subjects.load(tenantId, { keys: false });
  }

  /** What a breakdown row shows: key and team names, other dimensions as they are. */
  display(row: Record<string, unknown>): string | null {
    const id = this.label(row);
    const by = this.by();
    if (id === null) return null;
    // The API names keys itself (key_name; null for a deleted key, shown by its id).
    if (by === 'key') return typeof row['key_name'] === 'string' ? row['key_name'] : id;
    return by === 'team' ? this.subjects.labelOf(by, id) : id;
  }

  money(micros: number | null | undefined): string {
    return formatMicros(micros, this.lang.current());
  }

  count(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : n.toLocaleString(this.lang.current());
  }

  /** The row's label in the chosen breakdown (an empty key, team or provider reads as "none"). */
  label(row: Record<string, unknown>): string | null {
    const by = this.by();
    const v = row[by === 'key' ? 'key_id' : by === 'team' ? 'team_id' : by];
    return v === null || v === undefined || v === '' ? null : String(v);
  }

  applyRange(from: string, to: string): void {
    void this.url.patch({ from, to });
  }

  preset(p: RangePreset): void {
    void this.url.patch(presetRange(p, Date.now()));
  }

  groupBy(by: string): void {
    void this.url.patch({ by });
  }

  pickMonth(month: string): void {
    if (isMonth(month)) void this.url.patch({ month });
  }

  /** Downloads the CSV of the shown range: one line per request, or per day. */
  async exportCsv(granularity: 'request' | 'day'): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const { from, to } = this.resolved().range;
    this.exporting.set(true);
    this.exportError.set(null);
    try {
      const blob = await this.api.call(
        this.api.client.GET('/admin/v1/tenants/{tenantId}/usage/export.csv', {
          params: { path: { tenantId }, query: { from, to, granularity } },
          parseAs: 'blob',
        }),
      );
      saveBlob(blob as Blob, `usage-${from}-${to}${granularity === 'day' ? '-daily' : ''}.csv`);
    } catch (err) {
      this.exportError.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.exporting.set(false);
    }
  }
}
