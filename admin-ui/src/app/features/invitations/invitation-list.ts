import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
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
import { INVITATION_STATUSES, toStatusFilter, type Invitation } from './invitation';

/** `/invitations?status=pending`: the tenant's invitations by status, paging in the URL; revoke a pending one (confirmed). */
@Component({
  selector: 'app-invitation-list',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatSelectModule,
    MatTableModule,
    RouterLink,
    TranslocoDirective,
    PageState,
    CursorPaginator,
    LocalDatePipe,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="invitations-title">
      <div class="page-header">
        <h1 id="invitations-title">{{ t('invitations.title') }}</h1>
        <a mat-button routerLink="/members">{{ t('invitations.invite') }}</a>
      </div>
      <div class="toolbar-row">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('invitations.status') }}</mat-label>
          <mat-select
            [value]="url.state().status"
            (selectionChange)="filterStatus($event.value)"
            data-testid="invitation-status"
          >
            <mat-option value="all">{{ t('invitations.statuses.all') }}</mat-option>
            @for (s of statuses; track s) {
              <mat-option [value]="s">{{ t('invitations.statuses.' + s) }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
      </div>
      @if (actionError(); as e) {
        <p class="error-text" role="alert" data-testid="invitation-error">{{ e }}</p>
      }
      <app-page-state
        [loading]="list.loading()"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="t('invitations.empty')"
        (retry)="list.reload()"
      />
      @if (list.items().length) {
        <table
          mat-table
          [dataSource]="list.items()"
          [attr.aria-label]="t('invitations.title')"
          data-testid="invitation-table"
        >
          <ng-container matColumnDef="email">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('invitations.email') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.email }}</td>
          </ng-container>
          <ng-container matColumnDef="role">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('invitations.role') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.role }}</td>
          </ng-container>
          <ng-container matColumnDef="status">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('invitations.status') }}</th>
            <td mat-cell *matCellDef="let row">{{ t('invitations.statuses.' + row.status) }}</td>
          </ng-container>
          <ng-container matColumnDef="created">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('invitations.created') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.created_at | localDate }}</td>
          </ng-container>
          <ng-container matColumnDef="expires">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('invitations.expires') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.expires_at | localDate: 'utc' }}</td>
          </ng-container>
          <ng-container matColumnDef="actions">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('common.actions') }}</th>
            <td mat-cell *matCellDef="let row" class="actions">
              @if (canWrite() && row.status === 'pending') {
                <button
                  mat-button
                  type="button"
                  class="error-text"
                  (click)="revoke(row)"
                  [attr.aria-label]="t('invitations.revokeAria', { email: row.email })"
                >
                  {{ t('invitations.revoke') }}
                </button>
              }
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" [attr.data-invitation]="row.email"></tr>
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
export class InvitationList {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly i18n = inject(TranslocoService);
  private readonly session = inject(SessionService);
  readonly statuses = INVITATION_STATUSES;
  readonly actionError = signal<string | null>(null);

  readonly url = urlState({ status: 'pending', cursor: '', limit: 25 });
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, state: this.url.state() } : null;
  });
  readonly list = listResource(this.query, ({ tenantId, state }) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/invitations', {
        params: {
          path: { tenantId },
          query: { status: toStatusFilter(state.status), cursor: state.cursor || undefined, limit: state.limit },
        },
      }),
    ),
  );
  readonly columns = ['email', 'role', 'status', 'created', 'expires', 'actions'];
  readonly canWrite = computed(() => this.session.can('members:write'));
  readonly paging = cursorPaging(this.url, this.list);

  filterStatus(status: string): void {
    this.paging.reset({ status });
  }

  async revoke(invitation: Invitation): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    this.actionError.set(null);
    const ok = await this.confirm.ask({
      title: this.i18n.translate('invitations.revokeTitle', { email: invitation.email }),
      message: this.i18n.translate('invitations.revokeText'),
      confirmLabel: this.i18n.translate('invitations.revoke'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/invitations/{invitationId}', {
          params: { path: { tenantId, invitationId: invitation.id } },
        }),
      );
      await this.list.reload();
    } catch (err) {
      this.actionError.set(err instanceof ApiError ? err.message : String(err));
    }
  }
}
