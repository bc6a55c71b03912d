import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { PageState } from '../../shared/page-state/page-state';
import type { Team, TeamMember } from './team';

/** `/teams/:id`: the team's members; add a member of the tenant (moving them from their team), remove (confirmed). */
@Component({
  selector: 'app-team-detail',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatSelectModule,
    MatTableModule,
    RouterLink,
    TranslocoDirective,
    PageState,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="team-title">
      <p>
        <a routerLink="..">← {{ t('teams.title') }}</a>
      </p>
      <h1 id="team-title">{{ team()?.name ?? t('teams.title') }}</h1>
      @if (canWrite()) {
        <div class="toolbar-row">
          <mat-form-field subscriptSizing="dynamic">
            <mat-label>{{ t('teams.addMember') }}</mat-label>
            <mat-select (selectionChange)="add($event.value)" data-testid="team-add-member">
              @for (c of candidates(); track c.user_id) {
                <mat-option [value]="c.user_id">{{ c.email }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
          @if (actionError(); as e) {
            <p class="error-text" role="alert">{{ e }}</p>
          }
        </div>
      }
      <app-page-state
        [loading]="loading()"
        [error]="error()"
        [empty]="!loading() && !error() && members().length === 0"
        [emptyText]="t('teams.noMembers')"
        (retry)="load()"
      />
      @if (members().length) {
        <table mat-table [dataSource]="members()" [attr.aria-label]="t('teams.members')" data-testid="team-members">
          <ng-container matColumnDef="email">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('teams.email') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.email }}</td>
          </ng-container>
          <ng-container matColumnDef="role">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('teams.role') }}</th>
            <td mat-cell *matCellDef="let row">{{ row.role }}</td>
          </ng-container>
          <ng-container matColumnDef="actions">
            <th mat-header-cell *matHeaderCellDef scope="col">{{ t('common.actions') }}</th>
            <td mat-cell *matCellDef="let row">
              @if (canWrite()) {
                <button
                  mat-button
                  type="button"
                  class="error-text"
                  (click)="remove(row)"
                  [attr.aria-label]="t('teams.removeAria', { email: row.email })"
                >
                  {{ t('teams.remove') }}
                </button>
              }
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" [attr.data-member]="row.email"></tr>
        </table>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TeamDetail {
  readonly id = input.required<string>();
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly i18n = inject(TranslocoService);
  private readonly session = inject(SessionService);
  readonly team = signal<Team | null>(null);
  readonly members = signal<TeamMember[]>([]);
  readonly candidates = signal<TeamMember[]>([]);
  readonly loading = signal(false);
  readonly error = signal<Problem | null>(null);
  readonly actionError = signal<string | null>(null);
  readonly columns = ['email', 'role', 'actions'];
  readonly canWrite = computed(() => this.session.can('members:write'));

  constructor() {
    effect(() => {
      if (this.id() && this.session.tenantId()) untracked(() => void this.load());
    });
  }

  async load(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    this.loading.set(true);
    this.error.set(null);
    try {
      const path = { tenantId, teamId: this.id() };
      const [team, page] = await Promise.all([
        this.api.call(this.api.client.GET('/admin/v1/tenants/{tenantId}/teams/{teamId}', { params: { path } })),
        this.api.call(
          this.api.client.GET('/admin/v1/tenants/{tenantId}/teams/{teamId}/members', {
            params: { path, query: { limit: 200 } },
          }),
        ),
      ]);
      this.team.set(team);
      this.members.set(page.data);
      // The picker's choices (a select with no options does not open, so not lazily).
      if (this.canWrite()) await this.loadCandidates();
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.problem : toProblem(0, undefined));
    } finally {
      this.loading.set(false);
    }
  }

  /** The tenant's members not in this team. */
  async loadCandidates(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const page = await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/members', {
        params: { path: { tenantId }, query: { limit: 200 } },
      }),
    );
    const inTeam = new Set(this.members().map((m) => m.user_id));
    this.candidates.set(page.data.filter((m) => !inTeam.has(m.user_id)));
  }

  async add(userId: string): Promise<void> {
    await this.change(() =>
      this.api.call(
        this.api.client.PUT('/admin/v1/tenants/{tenantId}/teams/{teamId}/members/{userId}', {
          params: { path: { tenantId: this.session.tenantId()!, teamId: this.id(), userId } },
        }),
      ),
    );
  }

  async remove(member: TeamMember): Promise<void> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('teams.removeTitle', { email: member.email }),
      message: this.i18n.translate('teams.removeText'),
      confirmLabel: this.i18n.translate('teams.remove'),
      destructive: true,
    });
    if (!ok) return;
    await this.change(() =>
      this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/teams/{teamId}/members/{userId}', {
          params: { path: { tenantId: this.session.tenantId()!, teamId: this.id(), userId: member.user_id } },
        }),
      ),
    );
  }

  private async change(action: () => Promise<unknown>): Promise<void> {
    this.actionError.set(null);
    try {
      await action();
      await this.load();
    } catch (err) {
      this.actionError.set(err instanceof ApiError ? err.message : String(err));
    }
  }
}
