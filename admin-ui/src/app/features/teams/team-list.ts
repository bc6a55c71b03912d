import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import type { Team } from './team';

/** `/teams`: search and paging in the URL; create by name; delete (confirmed; members stay in the tenant). */
@Component({
  selector: 'app-team-list',
  imports: [
    FormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatTableModule,
    RouterLink,
    TranslocoDirective,
    PageState,
    CursorPaginator,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="teams-title">
      <div class="page-header">
        <h1 id="teams-title">{{ t('teams.title') }}</h1>
      </div>
      @if (canWrite()) {
        <form class="toolbar-row" (submit)="$event.preventDefault(); create()">
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ t('teams.newName') }}</mat-label>
            <input matInput name="name" [(ngModel)]="newName" data-testid="team-name" autocomplete="off" />
            @if (createError(); as e) {
              <mat-hint class="error-text" role="alert">{{ e }}</mat-hint>
            }
          </mat-form-field>
          <button mat-flat-button type="submit" data-testid="team-create">{{ t('teams.create') }}</button>
        </form>
      }
      <form class="toolbar-row" role="search" (submit)="$event.preventDefault(); search(q.value)">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('teams.search') }}</mat-label>
          <input matInput #q type="search" name="q" [value]="url.state().q" />
        </mat-form-field>
        <button mat-stroked-button type="submit">{{ t('common.search') }}</button>
      </form>
      <app-page-state
        [loading]="list.loading()"
        [error]="list.error()"
        [empty]="list.empty()"
        [emptyText]="t('teams.empty')"
        (retry)="list.reload()"
      />
      @if (list.items().length) {
        <table mat-table [dataSource]="list.items()" [attr.aria-label]="t('teams.title')" data-testid="team-table">
          <ng-container matColumnDef="name">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('teams.name') }}</th>
            <td mat-cell *matCellDef="let row">
              <a [routerLink]="[row.id]">{{ row.name }}</a>
            </td>
          </ng-container>
          <ng-container matColumnDef="description">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('teams.description') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.description ?? '' }}</td>
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
                  [attr.aria-label]="t('teams.deleteAria', { name: row.name })"
                >
                  {{ t('common.delete') }}
                </button>
              }
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" [attr.data-team]="row.name"></tr>
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
export class TeamList {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly session = inject(SessionService);
  newName = '';
  readonly createError = signal<string | null>(null);

  readonly url = urlState({ q: '', cursor: '', limit: 25 });
  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    return tenantId ? { tenantId, state: this.url.state() } : null;
  });
  readonly list = listResource(this.query, ({ tenantId, state }) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/teams', {
        params: {
          path: { tenantId },
          query: { q: state.q || undefined, cursor: state.cursor || undefined, limit: state.limit },
        },
      }),
    ),
  );
  readonly columns = ['name', 'description', 'actions'];
  readonly canWrite = computed(() => this.session.can('teams:write'));
  readonly paging = cursorPaging(this.url, this.list);

  search(q: string): void {
    this.paging.reset({ q: q.trim() });
  }

  async create(): Promise<void> {
    const tenantId = this.session.tenantId();
    const name = this.newName.trim();
    if (!tenantId || !name) return;
    this.createError.set(null);
    try {
      await this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/teams', { params: { path: { tenantId } }, body: { name } }),
      );
      this.newName = '';
      await this.list.reload();
    } catch (err) {
      this.createError.set(err instanceof ApiError ? err.message : String(err));
    }
  }

  async remove(team: Team): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('teams.deleteTitle', { name: team.name }),
      message: this.i18n.translate('teams.deleteText'),
      confirmLabel: this.i18n.translate('common.delete'),
      destructive: true,
    });
    if (!ok) return;
    try {
      await this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/teams/{teamId}', {
          params: { path: { tenantId, teamId: team.id } },
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
}
