import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { firstValueFrom } from 'rxjs';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import type { OAuthClient } from './oauth-client';
import { OAuthClientFormDialog } from './oauth-client-form-dialog';

/** `/oauth-clients`: search and paging in the URL; register (secret shown once), edit, delete (confirmed by name). */
@Component({
  selector: 'app-oauth-client-list',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="clients-title">
      <div class="page-header">
        <h1 id="clients-title">{{ t('oauthClients.title') }}</h1>
        @if (canWrite()) {
          <button mat-flat-button type="button" (click)="create()" data-testid="client-create">
            {{ t('oauthClients.create') }}
          </button>
        }
      </div>
      <form class="toolbar-row" role="search" (submit)="$event.preventDefault(); search(q.value)">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('oauthClients.search') }}</mat-label>
          <input matInput #q type="search" name="q" [value]="url.state().q" />
        </mat-form-field>
        <button mat-stroked-button type="submit">{{ t('common.search') }}</button>
      </form>
      <app-page-state
        [loading]="list.loading()"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="url.state().q ? t('oauthClients.noMatch') : t('oauthClients.empty')"
        (retry)="list.reload()"
      />
      @if (list.items().length) {
        <table
          mat-table
          [dataSource]="list.items()"
          [attr.aria-label]="t('oauthClients.title')"
          data-testid="client-table"
        >
          <ng-container matColumnDef="name">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.name') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.name }}</td>
          </ng-container>
          <ng-container matColumnDef="client_id">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.clientId') }}</th>
            <td mat-cell *matCellDef="let row" class="mono">{{ row.client_id }}</td>
          </ng-container>
          <ng-container matColumnDef="grant_types">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.grants') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.grant_types.join(', ') }}</td>
          </ng-container>
          <ng-container matColumnDef="redirect_uris">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.redirectUris') }}</th>
            <td mat-cell *matCellDef="let row" class="mono">{{ row.redirect_uris.join(' ') || '—' }}</td>
          </ng-container>
          <ng-container matColumnDef="scopes">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.scopes') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.scopes.join(', ') }}</td>
          </ng-container>
          <ng-container matColumnDef="created_at">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('oauthClients.created') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.created_at | localDate }}</td>
          </ng-container>
          <ng-container matColumnDef="actions">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('common.actions') }}</th>
            <td mat-cell *matCellDef="let row" class="actions">
              @if (canWrite() && !row.first_party) {
                <button
                  mat-button
                  type="button"
                  (click)="edit(row)"
                  [attr.aria-label]="t('oauthClients.editAria', { name: row.name })"
                >
                  {{ t('oauthClients.edit') }}
                </button>
                <button
                  mat-button
                  type="button"
                  class="error-text"
                  (click)="remove(row)"
                  [attr.aria-label]="t('oauthClients.deleteAria', { name: row.name })"
                >
                  {{ t('common.delete') }}
                </button>
              }
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" [attr.data-client]="row.name"></tr>
        </table>
      }
      <app-cursor-paginator
        [limit]="url.state().limit"
        [hasNext]="!!list.nextCursor()"
        [hasPrevious]="!!url.state().cursor"
        (next)="paging.next()"
        (previous)="paging.previous()"
        (first)="paging.first()"
        (limitChange)="paging.pageSize($event)"
      />
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OAuthClientList {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly session = inject(SessionService);

  readonly url = urlState({ q: '', cursor: '', limit: 25 });
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, state: this.url.state() } : null;
  });
  readonly list = listResource(this.query, ({ tenantId, state }) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/oauth-clients', {
        params: {
          path: { tenantId },
          query: { q: state.q || undefined, cursor: state.cursor || undefined, limit: state.limit },
        },
      }),
    ),
  );
  readonly columns = ['name', 'client_id', 'grant_types', 'redirect_uris', 'scopes', 'created_at', 'actions'];
  readonly canWrite = computed(() => this.session.can('oauth-clients:write'));
  readonly paging = cursorPaging(this.url, this.list);

  search(q: string): void {
    this.paging.reset({ q: q.trim() });
  }

  async create(): Promise<void> {
    await this.openForm(undefined);
  }

  async edit(client: OAuthClient): Promise<void> {
    await this.openForm(client);
  }

  async remove(client: OAuthClient): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('oauthClients.deleteTitle', { name: client.name }),
      message: this.i18n.translate('oauthClients.deleteText'),
      confirmLabel: this.i18n.translate('common.delete'),
      destructive: true,
      typeToConfirm: client.name,
    });
    if (!ok) return;
    try {
      await this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/oauth-clients/{clientId}', {
          params: { path: { tenantId, clientId: client.client_id } },
        }),
      );
      await this.list.reload();
    } catch (err) {
      this.snack.open(err instanceof ApiError ? err.message : String(err), undefined, {
        duration: 6000,
        politeness: 'assertive',
      });
    }
  }

  private async openForm(client: OAuthClient | undefined): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const ref = this.dialog.open(OAuthClientFormDialog, { data: { tenantId, client }, width: '560px' });
    if (await firstValueFrom(ref.afterClosed())) await this.list.reload();
  }
}
