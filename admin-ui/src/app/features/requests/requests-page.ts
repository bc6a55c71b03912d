import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { CONSOLE_CONFIG } from '../../core/console-config';
import { LanguageService } from '../../core/i18n/language.service';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { isoToUtcInput, utcInputToIso } from '../audit/audit-entry';
import { dataResource } from '../usage/data-resource';
import { formatMicros } from '../usage/money';
import {
  FILTER_KEYS,
  formatDuration,
  REQUEST_URL_DEFAULTS,
  toApiQuery,
  traceLink,
  type RequestFilters,
  type RequestItem,
} from './request-filters';

/**
 * `/requests`: the request explorer. The tenant's requests newest first, filtered by status, model,
 * key, provider, cache hit, latency, cost and a UTC time range, server-side paged with the API's
 * cursor; every filter, the page and the open request are in the URL (a reload or a shared link
 * shows the same). A request opens in a side drawer (a modal dialog: focus is trapped, Esc closes)
 * with its attempts (retries, fallbacks, breaker skips), usage, cost, gateway overhead and, when
 * `console.traceUrl` is set and the request was traced, a link to its trace.
 */
@Component({
  selector: 'app-requests-page',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatSidenavModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
    StackedTable,
  ],
  templateUrl: './requests-page.html',
  styles: `
    .drawer-container {
      min-height: 70vh;
      background: transparent;
    }
    .drawer {
      width: min(640px, 95vw);
      padding: 16px 24px;
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: center;
    }
    .filters mat-form-field {
      width: 170px;
    }
    dl.facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
    }
    dl.facts dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dl.facts dd {
      margin: 0;
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
    .status-error,
    .outcome-error,
    .outcome-timeout {
      color: var(--mat-sys-error);
    }
    tr.mat-mdc-row {
      cursor: pointer;
    }
    .nowrap {
      white-space: nowrap;
    }
    /* The key's id under its name: the name is what people recognise, the id what they search for. */
    .id-sub {
      display: block;
      font-size: 12px;
    }
    .table-scroll {
      overflow-x: auto;
    }
    /* Nine columns beside the navigation: tighter cells than Material's 16 px. */
    .table-scroll .mat-mdc-cell,
    .table-scroll .mat-mdc-header-cell {
      padding: 0 6px;
    }
    .table-scroll .mat-mdc-button {
      padding: 0 4px;
    }
    h3 {
      font: var(--mat-sys-title-small);
      margin-top: 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RequestsPage {
  private readonly api = inject(ApiClient);
  private readonly lang = inject(LanguageService);
  private readonly config = inject(CONSOLE_CONFIG);
  readonly session = inject(SessionService);

  readonly url = urlState(REQUEST_URL_DEFAULTS);
  /** The list query: everything but the open request, so opening one does not reload the page. */
  private readonly query = computed(
    () => {
      const { request: _request, ...rest } = this.url.state();
      const tenantId = this.session.tenantId();
      return tenantId ? { ...rest, tenantId } : null;
    },
    { equal: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );
  readonly list = listResource(this.query, (s) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/requests', {
        params: { path: { tenantId: s.tenantId }, query: toApiQuery({ ...s, request: '' }) },
      }),
    ),
  );
  private readonly detailQuery = computed(() => {
    const tenantId = this.session.tenantId();
    const requestId = this.url.state().request;
    return tenantId && requestId ? { tenantId, requestId } : null;
  });
  readonly detail = dataResource(this.detailQuery, (q) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/requests/{requestId}', {
        params: { path: { tenantId: q.tenantId, requestId: q.requestId } },
      }),
    ),
  );
  /** The open request's detail, once it is the one in the URL (not the previous one still loading). */
  readonly selected = computed(() => {
    const d = this.detail.value();
    return d && d.request_id === this.url.state().request ? d : null;
  });
  readonly trace = computed(() => traceLink(this.config.traceUrl, this.selected()?.trace_id));
  readonly columns = ['created_at', 'status', 'model', 'key', 'latency', 'overhead', 'tokens', 'cost', 'attempts'];
  readonly fromInput = computed(() => isoToUtcInput(this.url.state().from));
  readonly toInput = computed(() => isoToUtcInput(this.url.state().to));
  readonly paging = cursorPaging(this.url, this.list, { request: '' });
  readonly filtered = computed(() => FILTER_KEYS.some((k) => this.url.state()[k] !== ''));

  money(micros: number | null | undefined): string {
    return formatMicros(micros, this.lang.current());
  }
  duration(ms: number | null | undefined): string {
    return formatDuration(ms, this.lang.current());
  }
  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }

  apply(f: RequestFilters): void {
    const change: RequestFilters = {
      ...f,
      model: f.model.trim(),
      key_id: f.key_id.trim(),
      provider: f.provider.trim(),
      min_latency_ms: f.min_latency_ms.trim(),
      max_latency_ms: f.max_latency_ms.trim(),
      min_cost: f.min_cost.trim(),
      max_cost: f.max_cost.trim(),
      from: utcInputToIso(f.from) ?? '',
      to: utcInputToIso(f.to) ?? '',
    };
    const current = this.url.state();
    // Applying the same filters again means "refresh": the URL does not change, so load explicitly.
    if (FILTER_KEYS.every((k) => current[k] === change[k])) void this.list.reload();
    else this.paging.reset({ ...change, request: '' });
  }

  clear(): void {
    this.paging.reset({ ...Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])), request: '' });
  }

  open(row: RequestItem): void {
    void this.url.patch({ request: row.request_id });
  }

  close(): void {
    if (this.url.state().request) void this.url.patch({ request: '' });
  }
}
