import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
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
import { StackedTable } from '../../shared/stacked-table/stacked-table';
import { InviteDialog } from './invite-dialog';
import { MEMBER_ROLES, touchesOwner, type Member, type MemberRole } from './member';

/**
 * `/members`: the tenant's members with a role filter and paging in the URL; change a role inline
 * (owner changes confirmed), remove (confirmed), invite. A refusal (e.g. `last_owner`) is shown in
 * the row it concerns.
 */
@Component({
  selector: 'app-member-list',
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
    StackedTable,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="members-title">
      <div class="page-header">
        <h1 id="members-title">{{ t('members.title') }}</h1>
        @if (canWrite()) {
          <button mat-flat-button type="button" (click)="invite()" data-testid="member-invite">
            {{ t('members.invite') }}
          </button>
          <a mat-button routerLink="/invitations">{{ t('members.pending') }}</a>
        }
      </div>
      <div class="toolbar-row">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('members.filterRole') }}</mat-label>
          <mat-select
            [value]="url.state().role"
            (selectionChange)="filterRole($event.value)"
            data-testid="member-role-filter"
          >
            <mat-option value="">{{ t('members.allRoles') }}</mat-option>
            @for (r of roles; track r) {
              <mat-option [value]="r">{{ t('members.roles.' + r) }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
      </div>
      <app-page-state
        [loading]="list.loading()"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="t('members.empty')"
        (retry)="list.reload()"
      />
      @if (list.items().length) {
        <table
          mat-table
          [dataSource]="list.items()"
          [attr.aria-label]="t('members.title')"
          data-testid="member-table"
          appStackedTable
        >
          <ng-container matColumnDef="email">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('members.email') }}</th>
            <td mat-cell *matCellDef="let row">
              {{ row.email }}
              @if (row.user_status === 'disabled') {
                <span class="muted"> ({{ t('members.disabled') }})</span>
              }
            </td>
          </ng-container>
          <ng-container matColumnDef="role">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('members.role') }}</th>
            <td mat-cell *matCellDef="let row">
              @if (canWrite()) {
                <mat-form-field subscriptSizing="dynamic" class="inline-select">
                  <mat-label>{{ t('members.roleOf', { email: row.email }) }}</mat-label>
                  <mat-select
                    [value]="row.role"
                    (selectionChange)="changeRole(row, $event.value)"
                    [attr.data-testid]="'role-' + row.email"
                  >
                    @for (r of roles; track r) {
                      <mat-option [value]="r">{{ t('members.roles.' + r) }}</mat-option>
                    }
                  </mat-select>
                </mat-form-field>
              } @else {
                {{ t('members.roles.' + row.role) }}
              }
              @if (rowError()[row.user_id]; as e) {
                <p class="error-text" role="alert" [attr.data-testid]="'member-error-' + row.email">{{ e }}</p>
              }
            </td>
          </ng-container>
          <ng-container matColumnDef="created">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('members.since') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.created_at | localDate }}</td>
          </ng-container>
          <ng-container matColumnDef="actions">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('common.actions') }}</th>
            <td mat-cell *matCellDef="let row" class="actions">
              @if (canWrite()) {
                <button
                  mat-button
                  type="button"
                  class="error-text"
                  (click)="remove(row)"
                  [attr.aria-label]="t('members.removeAria', { email: row.email })"
                >
                  {{ t('members.remove') }}
                </button>
              }
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" [attr.data-member]="row.email"></tr>
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
  styles: `
    .inline-select {
      width: 160px;
    }
    .muted {
      color: var(--mat-sys-on-surface-variant);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MemberList {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly dialog = inject(MatDialog);
  private readonly i18n = inject(TranslocoService);
  private readonly session = inject(SessionService);
  readonly roles = MEMBER_ROLES;
  /** The last refusal per member (user id → message), shown next to the row's actions. */
  readonly rowError = signal<Record<string, string>>({});

  readonly url = urlState({ role: '', cursor: '', limit: 25 });
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, state: this.url.state() } : null;
  });
  readonly list = listResource(this.query, ({ tenantId, state }) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/members', {
        params: {
          path: { tenantId },
          query: {
            role: (state.role || undefined) as MemberRole | undefined,
            cursor: state.cursor || undefined,
            limit: state.limit,
          },
        },
      }),
    ),
  );
  readonly columns = ['email', 'role', 'created', 'actions'];
  readonly canWrite = computed(() => this.session.can('members:write'));
  readonly paging = cursorPaging(this.url, this.list);

  filterRole(role: string): void {
    this.paging.reset({ role });
  }

  async invite(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const ref = this.dialog.open<InviteDialog, { tenantId: string }, boolean>(InviteDialog, {
      data: { tenantId },
      width: '520px',
    });
    await firstValueFrom(ref.afterClosed());
  }

  async changeRole(member: Member, role: MemberRole): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    this.setRowError(member.user_id, null);
    if (touchesOwner(member.role, role)) {
      const ok = await this.confirm.ask({
        title: this.i18n.translate('members.ownerTitle', { email: member.email }),
        message: this.i18n.translate(role === 'owner' ? 'members.ownerGrantText' : 'members.ownerRevokeText'),
        confirmLabel: this.i18n.translate('members.changeRole'),
        destructive: true,
      });
      // Cancelled: reload so the select shows the unchanged role again.
      if (!ok) return void this.list.reload();
    }
    try {
      await this.api.call(
        this.api.client.PATCH('/admin/v1/tenants/{tenantId}/members/{userId}', {
          params: { path: { tenantId, userId: member.user_id } },
          body: { role },
        }),
      );
    } catch (err) {
      this.setRowError(member.user_id, message(err));
    }
    await this.list.reload();
  }

  async remove(member: Member): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    this.setRowError(member.user_id, null);
    const ok = await this.confirm.ask({
      title: this.i18n.translate('members.removeTitle', { email: member.email }),
      message: this.i18n.translate('members.removeText'),
      confirmLabel: this.i18n.translate('members.remove'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/members/{userId}', {
          params: { path: { tenantId, userId: member.user_id } },
        }),
      );
      await this.list.reload();
    } catch (err) {
      this.setRowError(member.user_id, message(err));
    }
  }

  private setRowError(userId: string, text: string | null): void {
    this.rowError.update((all) => {
      const next = { ...all };
      if (text) next[userId] = text;
      else delete next[userId];
      return next;
    });
  }
}

function message(err: unknown): string {
  return err instanceof ApiError ? err.message : String(err);
}
