import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { firstValueFrom } from 'rxjs';
import { ApiClient } from '../../core/api/api-client';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import {
  KEY_LIST_DEFAULTS,
  sortDirection,
  toKeyQuery,
  ownerLabel,
  toggleSort,
  type ApiKey,
  type SortColumn,
} from './api-key';
import { ApiKeyActions } from './api-key-actions';
import { ApiKeyFormDialog } from './api-key-form-dialog';
import { KeyFilterOptions } from './key-filter-options';
import { KeyStatusChip } from './key-status-chip';

/**
 * `/api-keys`: search (name or key id), owner / team / status filters, sortable columns and cursor
 * paging, all in the URL; one list request per page view. Create (the secret shown once), rotate,
 * revoke, resume a suspended key (suspending, with its reason, is on the key's page).
 */
@Component({
  selector: 'app-api-key-list',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    RouterLink,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
    StackedTable,
    KeyStatusChip,
  ],
  providers: [ApiKeyActions, KeyFilterOptions],
  templateUrl: './api-key-list.html',
  styles: `
    .table-scroll {
      overflow-x: auto;
    }
    .key-id {
      display: block;
      font-size: 12px;
    }
    td.owner {
      max-width: 220px;
      overflow-wrap: anywhere;
    }
    td.day {
      white-space: nowrap;
    }
    td.actions button {
      min-width: 0;
      padding: 0 8px;
    }
    /* A stacked card on a phone (appStackedTable): the owner's line is the card's full width. */
    @media (max-width: 599.98px) {
      td.owner {
        max-width: none;
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeyList {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly actions = inject(ApiKeyActions);
  readonly session = inject(SessionService);
  readonly options = inject(KeyFilterOptions);

  readonly url = urlState({ ...KEY_LIST_DEFAULTS });
  /** Null (no request) until the session knows the tenant. */
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, state: this.url.state() } : null;
  });
  readonly list = listResource(this.query, ({ tenantId, state }) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/api-keys', {
        params: { path: { tenantId }, query: toKeyQuery(state) },
      }),
    ),
  );
  /** The key id sits under the name: eight columns did not fit beside a 1280 px window's navigation. */
  readonly columns = ['name', 'status', 'owner', 'last_used_at', 'expires_at', 'created_at', 'actions'];
  readonly filtered = computed(() => {
    const s = this.url.state();
    return !!(s.q || s.owner || s.team_id || s.status);
  });
  readonly canWrite = computed(() => this.session.can('keys:write'));
  readonly paging = cursorPaging(this.url, this.list);

  sortDir(column: SortColumn): 'ascending' | 'descending' | 'none' {
    return sortDirection(this.url.state().sort, column);
  }

  sortBy(column: SortColumn): void {
    this.paging.reset({ sort: toggleSort(this.url.state().sort, column) });
  }

  filter(change: Partial<{ q: string; owner: string; team_id: string; status: string }>): void {
    this.paging.reset(change);
  }

  openMembers(open: boolean): void {
    const tenantId = this.session.tenantId();
    if (open && tenantId) void this.options.loadMembers(tenantId).catch(() => this.options.members.set([]));
  }

  openTeams(open: boolean): void {
    const tenantId = this.session.tenantId();
    if (open && tenantId) void this.options.loadTeams(tenantId).catch(() => this.options.teams.set([]));
  }

  readonly ownerLabel = ownerLabel;

  async create(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const ref = this.dialog.open(ApiKeyFormDialog, { data: { tenantId }, width: '560px' });
    const created = await firstValueFrom(ref.afterClosed());
    if (created) {
      this.snack.open(this.i18n.translate('apiKeys.createdToast', { name: created.name }), undefined, {
        duration: 5000,
        politeness: 'polite',
      });
      await this.list.reload();
    }
  }

  async revoke(key: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.revoke(tenantId, key))) await this.list.reload();
  }

  async rotate(key: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.rotate(tenantId, key, 0))) await this.list.reload();
  }

  async resume(key: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.resume(tenantId, key))) await this.list.reload();
  }
}
