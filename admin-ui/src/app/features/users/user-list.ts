import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';

type UserStatus = 'active' | 'disabled';

/** `/users` (superadmin): the platform's users, searched by e-mail, filtered by status, server-paged. */
@Component({
  selector: 'app-user-list',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="users-title">
      <div class="page-header">
        <h1 id="users-title">{{ t('users.title') }}</h1>
      </div>
      <form class="toolbar-row" role="search" (submit)="$event.preventDefault(); search(q.value)">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('users.search') }}</mat-label>
          <input matInput #q type="search" name="q" [value]="url.state().q" data-testid="user-search" />
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('users.status') }}</mat-label>
          <mat-select [value]="url.state().status" (selectionChange)="filterStatus($event.value)">
            <mat-option value="">{{ t('common.all') }}</mat-option>
            <mat-option value="active">{{ t('users.active') }}</mat-option>
            <mat-option value="disabled">{{ t('users.disabled') }}</mat-option>
          </mat-select>
        </mat-form-field>
        <button mat-stroked-button type="submit">{{ t('common.search') }}</button>
      </form>
      <app-page-state
        [loading]="list.loading()"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="t('users.empty')"
        (retry)="list.reload()"
      />
      @if (list.items().length) {
        <table mat-table [dataSource]="list.items()" [attr.aria-label]="t('users.title')" data-testid="user-table">
          <ng-container matColumnDef="email">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('users.email') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.email }}</td>
          </ng-container>
          <ng-container matColumnDef="status">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('users.status') }}</th>
            <td mat-cell *matCellDef="let row">
              {{ row.status === 'active' ? t('users.active') : t('users.disabled')
              }}{{ row.locked_until ? ' · ' + t('users.locked') : '' }}
            </td>
          </ng-container>
          <ng-container matColumnDef="superadmin">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('users.superadmin') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.superadmin ? t('users.yes') : t('users.no') }}</td>
          </ng-container>
          <ng-container matColumnDef="last_login_at">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('users.lastLogin') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.last_login_at | localDate }}</td>
          </ng-container>
          <ng-container matColumnDef="created_at">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('users.created') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.created_at | localDate }}</td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns"></tr>
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
export class UserList {
  private readonly api = inject(ApiClient);
  readonly url = urlState({ q: '', status: '', cursor: '', limit: 25 });
  readonly list = listResource(this.url.state, (s) =>
    this.api.call(
      this.api.client.GET('/admin/v1/users', {
        params: {
          query: {
            q: s.q || undefined,
            status: (s.status || undefined) as UserStatus | undefined,
            cursor: s.cursor || undefined,
            limit: s.limit,
          },
        },
      }),
    ),
  );
  readonly columns = ['email', 'status', 'superadmin', 'last_login_at', 'created_at'];
  readonly filtered = computed(() => !!this.url.state().q || !!this.url.state().status);
  readonly paging = cursorPaging(this.url, this.list);

  search(q: string): void {
    this.paging.reset({ q: q.trim() });
  }

  filterStatus(status: string): void {
    this.paging.reset({ status });
  }
}
