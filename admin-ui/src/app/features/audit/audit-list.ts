import { JsonPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { isoToUtcInput, utcInputToIso, type AuditEntry } from './audit-entry';

/**
 * `/audit`: the tenant's audit log (a superadmin may switch to the platform-wide log). Filters
 * (actor, action, target type, time range in UTC), paging and the open entry live in the URL; the
 * entry's before/after opens in a side drawer.
 */
@Component({
  selector: 'app-audit-list',
  imports: [
    JsonPipe,
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
  ],
  templateUrl: './audit-list.html',
  styles: `
    .drawer-container {
      min-height: 70vh;
      background: transparent;
    }
    .drawer {
      width: min(560px, 90vw);
      padding: 16px 24px;
    }
    pre {
      white-space: pre-wrap;
      word-break: break-word;
      background: var(--mat-sys-surface-container);
      padding: 8px;
      border-radius: 8px;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
    }
    dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
    }
    tr.mat-mdc-row {
      cursor: pointer;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditList {
  private readonly api = inject(ApiClient);
  readonly session = inject(SessionService);

  readonly url = urlState({
    scope: 'tenant',
    actor: '',
    action: '',
    target_type: '',
    target_id: '',
    since: '',
    until: '',
    cursor: '',
    limit: 25,
    entry: '',
  });
  /** The list query: everything but the open entry, so opening an entry does not reload the page. */
  private readonly query = computed(
    () => {
      const { entry: _entry, ...rest } = this.url.state();
      return { ...rest, tenantId: this.session.tenantId() };
    },
    { equal: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );
  readonly list = listResource(this.query, (s) => {
    const query = {
      actor: s.actor || undefined,
      action: s.action || undefined,
      target_type: s.target_type || undefined,
      target_id: s.target_id || undefined,
      since: s.since || undefined,
      until: s.until || undefined,
      cursor: s.cursor || undefined,
      limit: s.limit,
    };
    if (s.scope === 'platform' && this.session.superadmin())
      return this.api.call(this.api.client.GET('/admin/v1/audit', { params: { query } }));
    return this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/audit', {
        params: { path: { tenantId: s.tenantId ?? '' }, query },
      }),
    );
  });
  readonly selected = computed<AuditEntry | null>(
    () => this.list.items().find((e) => e.id === this.url.state().entry) ?? null,
  );
  readonly columns = ['created_at', 'action', 'actor', 'target'];
  readonly sinceInput = computed(() => isoToUtcInput(this.url.state().since));
  readonly untilInput = computed(() => isoToUtcInput(this.url.state().until));
  readonly paging = cursorPaging(this.url, this.list, { entry: '' });

  apply(f: {
    actor: string;
    action: string;
    target_type: string;
    target_id: string;
    since: string;
    until: string;
  }): void {
    const change = {
      actor: f.actor.trim(),
      action: f.action.trim(),
      target_type: f.target_type.trim(),
      target_id: f.target_id.trim(),
      since: utcInputToIso(f.since) ?? '',
      until: utcInputToIso(f.until) ?? '',
      cursor: '',
      entry: '',
    };
    const current = this.url.state();
    const same = (Object.keys(change) as (keyof typeof change)[]).every((k) => current[k] === change[k]);
    // Applying the same filters again means "refresh": the URL does not change, so load explicitly.
    if (same) void this.list.reload();
    else this.paging.reset(change);
  }

  clear(): void {
    this.paging.reset({ actor: '', action: '', target_type: '', target_id: '', since: '', until: '' });
  }

  setScope(scope: string): void {
    this.paging.reset({ scope });
  }

  open(entry: AuditEntry): void {
    void this.url.patch({ entry: entry.id });
  }

  close(): void {
    void this.url.patch({ entry: '' });
  }
}
